//go:build !unix

package main

import (
	"context"
	"flag"
	"net"
)

const detachedVariable = "AWSSTS_SERVE_DETACHED"

func startDetached(*flag.FlagSet, *commonFlags, net.Listener, string, *endpointFiles, string) (int, error) {
	return 0, usagef("--background needs a Unix system: run awssts serve in a terminal of its own")
}

func serveDetached(context.Context, streams) error {
	return usagef("--background needs a Unix system")
}
