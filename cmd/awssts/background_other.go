//go:build !unix

package main

import (
	"context"
	"flag"
	"net"
)

const detachedVariable = "AWSSTS_SERVE_DETACHED"

// errNoBackground is --background where it cannot work; serve refuses it before it assumes
// the role, writes files or listens.
var errNoBackground = usagef("--background needs a Unix system: run awssts serve in a terminal of its own")

func startDetached(*flag.FlagSet, *commonFlags, net.Listener, string, *endpointFiles, string) (int, error) {
	return 0, errNoBackground
}

func serveDetached(context.Context, streams) error {
	return usagef("--background needs a Unix system")
}
