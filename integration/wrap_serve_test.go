package integration

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// serveChild hands the endpoint's settings to the test through the file named by its first
// argument, then waits for its stdin to close.
const serveChild = `printf '%s\n%s\n' "$AWS_CONTAINER_CREDENTIALS_FULL_URI" "$AWS_CONTAINER_AUTHORIZATION_TOKEN" >"$0.tmp" && mv "$0.tmp" "$0" && exec cat`

// TestWrapAwsstsServe: a child of `awssts exec --serve` follows the README's recipe. The default
// chain finds its parent's endpoint, and Wrap serves the role's credentials from it, which moto
// knows as a session named by awssts's rule.
func TestWrapAwsstsServe(t *testing.T) {
	motoURL := moto.require(t)["AWSSTS_MOTO_ENDPOINT"]
	if _, err := exec.LookPath("sh"); err != nil {
		skipOrFail(t, "sh is not in PATH; the child of awssts exec --serve is a shell script")
	}
	ctx := testContext(t)
	bin := filepath.Join(t.TempDir(), "awssts")
	build := exec.CommandContext(ctx, "go", "build", "-tags", buildTags, "-o", bin, "github.com/awssts/awssts/cmd/awssts")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	isolate(t, motoURL)
	t.Setenv("AWS_ACCESS_KEY_ID", motoAccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", motoSecret)
	handoff := filepath.Join(t.TempDir(), "endpoint")
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "exec", "--serve", "--region", region, "--role-arn", motoRole("awssts-serve"), "--",
		"sh", "-c", serveChild, handoff)
	cmd.Stderr = &stderr
	cmd.WaitDelay = 5 * time.Second // the child's cat holds stderr open until stdin closes
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	killWithParent(cmd)
	before := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var waitErr error
	exited := make(chan struct{})
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		stdin.Close()
		_ = cmd.Process.Kill()
		<-exited
	})
	var settings []string
	_ = waitFor(ctx, func() bool {
		select {
		case <-exited:
			return true
		default:
		}
		b, err := os.ReadFile(handoff)
		settings = strings.Fields(string(b))
		return err == nil
	})
	if len(settings) != 2 {
		stdin.Close()
		_ = cmd.Process.Kill()
		<-exited
		t.Fatalf("the child of awssts exec --serve did not hand over the endpoint (%v); awssts said:\n%s", waitErr, &stderr)
	}

	cfg := defaultChain(ctx, t, map[string]string{
		"AWS_CONTAINER_CREDENTIALS_FULL_URI": settings[0],
		"AWS_CONTAINER_AUTHORIZATION_TOKEN":  settings[1],
	})
	wrapChain(t, &cfg, withPrefetch)
	c, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	checkASIA(t, c)
	if c.Source != endpointcreds.ProviderName {
		t.Errorf("credentials from %q, want %q", c.Source, endpointcreds.ProviderName)
	}
	arn := callerARN(t, sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(motoURL) }))
	checkSessionARN(t, arn, "awssts-serve", before, time.Now())

	stdin.Close()
	<-exited
	if waitErr != nil {
		t.Errorf("awssts exec --serve: %v; it said:\n%s", waitErr, &stderr)
	}
}
