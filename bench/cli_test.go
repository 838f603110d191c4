package bench

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/awssts/awssts/ststest"
)

// cliBinaryVariable names an awssts binary that scripts/bench built once for all rounds.
const cliBinaryVariable = "AWSSTS_BENCH_BIN"

// cli is the awssts command against ststest, with a cache of its own.
type cli struct {
	bin string
	srv *ststest.Server
	env []string
}

var built struct {
	once      sync.Once
	dir, path string
	err       error
}

// binary is $AWSSTS_BENCH_BIN, or else awssts built once for this test process.
func binary(tb testing.TB) string {
	tb.Helper()
	if bin := os.Getenv(cliBinaryVariable); bin != "" {
		return bin
	}
	built.once.Do(func() {
		if built.dir, built.err = os.MkdirTemp("", "awssts-bench-"); built.err != nil {
			return
		}
		built.path = filepath.Join(built.dir, "awssts")
		if out, err := exec.Command("go", "build", "-o", built.path, "../cmd/awssts").CombinedOutput(); err != nil {
			built.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if built.err != nil {
		tb.Fatal(built.err)
	}
	return built.path
}

func newCLI(tb testing.TB) *cli {
	tb.Helper()
	bin := binary(tb)
	const akid, secret = "AKIABENCHEXAMPLE0001", "bench-long-term-secret"
	srv := ststest.NewServer()
	tb.Cleanup(srv.Close)
	srv.AddUser(akid, secret)
	srv.AddRole(roleARN, time.Hour)
	var env []string
	for _, kv := range os.Environ() {
		if len(kv) < 4 || kv[:4] != "AWS_" {
			env = append(env, kv)
		}
	}
	env = append(env, "AWS_ACCESS_KEY_ID="+akid, "AWS_SECRET_ACCESS_KEY="+secret, "AWS_REGION=us-east-1",
		"AWS_ENDPOINT_URL_STS="+srv.URL, "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_EC2_METADATA_DISABLED=true", "AWSSTS_CACHE_DIR="+tb.TempDir())
	return &cli{bin: bin, srv: srv, env: env}
}

// run runs one awssts process; errors go to tb.Error, so that it may run in any goroutine.
func (c *cli) run(tb testing.TB, args ...string) {
	cmd := exec.Command(c.bin, args...)
	cmd.Env = c.env
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Errorf("awssts %v: %v\n%s", args, err, out)
	}
}

func (c *cli) assumeRoles() int { return c.calls("AssumeRole") }

// calls counts the calls of action that the command's server received.
func (c *cli) calls(action string) int {
	n := 0
	for _, call := range c.srv.Calls() {
		if call.Action == action {
			n++
		}
	}
	return n
}

// Row 10: STS calls for 100 'awssts export' one after another, and for 20 started together
// while STS takes 200 ms to answer; the anchor is the same with --no-cache.
func TestCLICache(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
	}{{"awssts-on-demand", nil}, {"anchor", []string{"--no-cache"}}} {
		args := append([]string{"export", "--role-arn", roleARN}, c.args...)
		t.Run("sequential/"+c.name, func(t *testing.T) {
			cli := newCLI(t)
			for range 100 {
				cli.run(t, args...)
			}
			checkCLI(t, "cli/sequential", c.name, cli.assumeRoles(), 100)
		})
		t.Run("concurrent/"+c.name, func(t *testing.T) {
			cli := newCLI(t)
			cli.srv.Delay(200*time.Millisecond, 20)
			var wg sync.WaitGroup
			for range 20 {
				wg.Go(func() { cli.run(t, args...) })
			}
			wg.Wait()
			checkCLI(t, "cli/concurrent", c.name, cli.assumeRoles(), 20)
		})
	}
}

func checkCLI(t *testing.T, row, name string, calls, invocations int) {
	t.Helper()
	report(t, Result{Row: row, Case: name, Calls: calls})
	want := 1
	if name == "anchor" {
		want = invocations
	}
	if calls != want {
		t.Errorf("%s, %s: %d AssumeRole calls for %d invocations, want %d", row, name, calls, invocations, want)
	}
}

// BenchmarkCLI is row 11: one process of 'awssts export' served from the cache ("hit"), and
// one of 'awssts --help' from the same binary; an op is a whole process.
func BenchmarkCLI(b *testing.B) {
	cli := newCLI(b)
	cli.run(b, "export", "--role-arn", roleARN) // fills the cache
	for _, c := range []struct{ name string }{{"hit"}, {"help"}} {
		args := []string{"export", "--role-arn", roleARN}
		if c.name == "help" {
			args = []string{"--help"}
		}
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				cli.run(b, args...)
			}
		})
	}
	if n := cli.assumeRoles(); n != 1 {
		b.Fatalf("%d AssumeRole calls, want only the first export's", n)
	}
}
