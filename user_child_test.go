package awssts_test

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/awssts/awssts"
	"github.com/awssts/awssts/ststest"
)

const (
	childUser   = "AKIACHILDUSER0000000"
	childSecret = "child-secret"
	childRole   = "arn:aws:iam::123456789012:role/child"
)

// A child process started with p.Env sees the real expiry in AWS_CREDENTIAL_EXPIRATION in every
// phase: fresh, while a renewal runs, during an outage, after Invalidate and after Close.
func TestUserHeld_ChildEnvRealExpiryEveryPhase(t *testing.T) {
	type phase struct {
		name string
		env  []string
		want string
	}
	var phases []phase
	synctest.Test(t, func(t *testing.T) {
		srv := ststest.NewInMemoryServer()
		defer srv.Close()
		srv.AddUser(childUser, childSecret)
		srv.AddRole(childRole, 0)
		p, err := awssts.NewFromConfig(inMemoryConfig(srv, childUser, childSecret), childRole, func(o *awssts.Options) { o.Prefetch = true })
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		take := func(name string) {
			t.Helper()
			env, err := p.Env(context.Background(), "eu-west-1")
			if err != nil {
				t.Fatalf("%s: Env: %v", name, err)
			}
			phases = append(phases, phase{name, env, p.Stats().Expiration.UTC().Format(time.RFC3339)})
		}
		take("fresh")
		srv.Delay(20*time.Second, 1)
		time.Sleep(time.Until(p.Stats().NextPrefetch) + time.Second)
		take("renewing")
		synctest.Wait()
		srv.Fail(ststest.ServiceUnavailable, 1000)
		time.Sleep(time.Until(p.Stats().Expiration.Add(-5 * time.Minute)))
		take("outage")
		srv.Recover()
		p.Invalidate()
		take("after Invalidate")
		p.Close()
		time.Sleep(time.Until(p.Stats().Expiration.Add(-5 * time.Minute)))
		take("after Close, due")
	})
	for _, ph := range phases {
		cmd := exec.Command("sh", "-c", `printf %s "$AWS_CREDENTIAL_EXPIRATION"`)
		cmd.Env = ph.env
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: child: %v", ph.name, err)
		}
		if string(out) != ph.want || ph.want == "0001-01-01T00:00:00Z" {
			t.Errorf("%s: the child sees AWS_CREDENTIAL_EXPIRATION=%q, want the real expiry %q", ph.name, out, ph.want)
		}
	}
}

// boto3 and the AWS CLI v1, the children the README names for p.Env, take their region from
// AWS_DEFAULT_REGION; p.Env sets only AWS_REGION, so a boto3 child cannot make a call.
// Expected: a boto3 child given p.Env (and nothing else from AWS) calls STS in that region.
func TestUserChild_Boto3GetsRegionFromEnv(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed")
	}
	if err := exec.Command("python3", "-c", "import boto3").Run(); err != nil {
		t.Skip("boto3 not installed: pip install boto3")
	}
	srv := ststest.NewServer()
	defer srv.Close()
	srv.AddUser(childUser, childSecret)
	srv.AddRole(childRole, 0)
	cfg := inMemoryConfig(srv, childUser, childSecret)
	cfg.HTTPClient = nil
	p, err := awssts.NewFromConfig(cfg, childRole)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	env, err := p.Env(context.Background(), "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	script := `import boto3, os
s = boto3.session.Session()
print(s.region_name, s.client("sts", endpoint_url=os.environ["STS_URL"]).get_caller_identity()["Arn"])`
	cmd := exec.Command("python3", "-c", script)
	cmd.Env = append(env, "STS_URL="+srv.URL, "HOME="+t.TempDir(), "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "eu-west-1 arn:aws:sts::") {
		t.Errorf("boto3 child with p.Env: %v\n%s", err, out)
	}
}
