package integration

import (
	"fmt"
	"os"

	"go.uber.org/goleak"
)

// checkLeaks fails the run if a goroutine is left behind after every Provider is closed, such
// as a prefetch loop. Idle keep-alive connections to the peers belong to the SDK, not to us.
func checkLeaks() int {
	err := goleak.Find(
		goleak.IgnoreAnyFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreAnyFunction("net/http.(*persistConn).writeLoop"),
	)
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration: goroutines left behind:", err)
		return 1
	}
	return 0
}
