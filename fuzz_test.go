package awssts

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// stsSessionName is what STS accepts as a RoleSessionName.
var stsSessionName = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)

// Any options either give a Provider or an error, never a panic, and a Provider never sends
// a session name or duration that STS would reject.
func FuzzOptions(f *testing.F) {
	f.Add("", int64(0), int64(0), testRoleARN, "")
	f.Add("asia-release-", int64(3600), int64(600), testRoleARN, "ext-1")
	f.Add("x", int64(900), int64(899), "arn:aws-cn:iam::123456789012:role/path/r", "")
	f.Add("a b", int64(43201), int64(-1), "arn:aws:iam::123456789012:user/u", "é")
	f.Fuzz(func(t *testing.T, prefix string, durationSec, windowSec int64, roleARN, externalID string) {
		fake := &fakeSTS{}
		p, err := New(fake, roleARN, func(o *Options) {
			o.RoleSessionNamePrefix = prefix
			o.Duration = time.Duration(durationSec) * time.Second
			o.ExpiryWindow = time.Duration(windowSec) * time.Second
			if externalID != "" {
				o.ExternalID = aws.String(externalID)
			}
		})
		if err != nil {
			if p != nil {
				t.Fatalf("New returned both a Provider and %v", err)
			}
			return
		}
		if _, err := p.Retrieve(context.Background()); err != nil {
			t.Fatalf("valid options, Retrieve failed: %v", err)
		}
		in := fake.input(0)
		if name := aws.ToString(in.RoleSessionName); !stsSessionName.MatchString(name) {
			t.Errorf("session name %q breaks STS's 2..64 [\\w+=,.@-] rule", name)
		}
		if d := aws.ToInt32(in.DurationSeconds); d < 900 || d > 43200 {
			t.Errorf("DurationSeconds %d outside 900..43200", d)
		}
		if optionsOf(p).ExpiryWindow <= 0 || optionsOf(p).ExpiryWindow >= optionsOf(p).Duration {
			t.Errorf("accepted ExpiryWindow %v with Duration %v", optionsOf(p).ExpiryWindow, optionsOf(p).Duration)
		}
	})
}
