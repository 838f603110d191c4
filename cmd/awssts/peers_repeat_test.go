//go:build race || dev

package main

// repeatedRun is true in the runs of .ci/run that repeat the suite (-race, -tags dev); the
// longest peer test runs only in the first.
const repeatedRun = true
