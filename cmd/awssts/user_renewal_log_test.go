//go:build unix

package main

import (
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/awssts/awssts"
)

// An operator reads serve's renewal line to know how long the credentials last. When STS's
// clock is ahead of this machine's (4 minutes here, within SigV4's 5), the library, the
// cache, /healthz and AWS_CREDENTIAL_EXPIRATION all convert the expiry to this machine's
// clock; the renewal line does not, and promises 4 minutes that do not exist.
//
// Expected: the renewal line's remaining= agrees with GET /healthz (within a few seconds).
func TestUser_RenewalLog_RemainingOnThisClock(t *testing.T) {
	srv := localSTS(t)
	const skew = 4 * time.Minute
	srv.SetClockSkew(skew)
	cmd, stderr, url, _ := startServe(t)
	resp, err := http.Get(strings.TrimSuffix(url, "/credentials") + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	health, err := strconv.Atoi(string(body))
	if resp.StatusCode != http.StatusOK || err != nil {
		t.Fatalf("GET /healthz: %d %q", resp.StatusCode, body)
	}
	if d := time.Duration(health)*time.Second - awssts.DefaultDuration; d.Abs() > 10*time.Second {
		t.Fatalf("/healthz says %d s left, want about %v: the expiry is not on this clock", health, awssts.DefaultDuration)
	}
	m := regexp.MustCompile(`remaining=(\S+)`).FindAllStringSubmatch(stderr.String(), -1)
	if m == nil {
		t.Fatalf("stderr %q: no renewal line", stderr.String())
	}
	logged, err := time.ParseDuration(m[len(m)-1][1])
	if err != nil {
		t.Fatal(err)
	}
	if d := logged - time.Duration(health)*time.Second; d.Abs() > 5*time.Second {
		t.Errorf("renewal line says remaining=%v, /healthz says %d s: the line is %v off (STS's clock is %v ahead)", logged, health, d, skew)
	}
}
