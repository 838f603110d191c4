//go:build dev

package main

// buildTags builds the command that the tests run with the rules of this test binary.
const buildTags = "dev"
