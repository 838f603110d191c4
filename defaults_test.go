package awssts

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// The defaults differ by build (-tags dev); this test reads the build's table and checks that
// the first AssumeRole and the cache follow it.
func TestDefaults_FollowTheBuild(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeSTS{}
		p := newTestProvider(t, f)
		c, err := p.Retrieve(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		in := f.input(0)
		if name := aws.ToString(in.RoleSessionName); !strings.HasPrefix(name, wantDefaults.prefix) {
			t.Errorf("session name %q, want prefix %q", name, wantDefaults.prefix)
		}
		if got := time.Duration(aws.ToInt32(in.DurationSeconds)) * time.Second; got != wantDefaults.duration {
			t.Errorf("DurationSeconds %v, want %v", got, wantDefaults.duration)
		}
		if got := p.Stats().Expiration.Sub(c.Expires); got != wantDefaults.window {
			t.Errorf("ExpiryWindow %v, want %v", got, wantDefaults.window)
		}
	})
}
