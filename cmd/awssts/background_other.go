//go:build !unix

package main

import "context"

const detachedVariable = "AWSSTS_SERVE_DETACHED"

func startDetached([]string, string, string) ([]string, int, error) {
	return nil, 0, usagef("--background needs a Unix system: run awssts serve in a terminal of its own")
}

func serveDetached(context.Context, *commonFlags, streams) error {
	return usagef("--background needs a Unix system")
}
