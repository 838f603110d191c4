package awssts

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// One AssumeRole answer whose Date header says STS's clock is 11 h behind this machine's,
// while its Expiration is an honest hour ahead, is believed at once: implausible() measures
// the life on the claimed source clock (12 h), so the skew never "lengthens the life by more
// than the life". The 1-h credentials are then served, with a nil error, for 12 h: 11 h past
// the moment STS stops accepting them. No confirmation by a second answer is needed.
// (No time passes in this test: it reads the expiry the Provider adopted.)
// Expected: an expiry is never put later than the call's time plus the DurationSeconds asked
// (STS issues no longer session); a skew that would need that is not believed.
func TestAttack_BogusDateHeader_ExtendsOneHourSessionTo12h(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		now := time.Now()
		w.Header().Set("Content-Type", "text/xml")
		w.Header().Set("Date", now.Add(-11*time.Hour).UTC().Format(http.TimeFormat))
		fmt.Fprintf(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
<Credentials><AccessKeyId>ASIABOGUSDATE</AccessKeyId><SecretAccessKey>SECRET-skew-must-not-leak</SecretAccessKey>
<SessionToken>TOKEN-skew-must-not-leak</SessionToken><Expiration>%s</Expiration></Credentials>
<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/demo/s</Arn><AssumedRoleId>AROA:s</AssumedRoleId></AssumedRoleUser>
</AssumeRoleResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleResponse>`,
			now.Add(time.Hour).UTC().Format(time.RFC3339))
	}))
	defer srv.Close()
	client := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIASOURCE", "source-secret", "")})
	p, err := New(client, testRoleARN, func(o *Options) { o.Duration = time.Hour })
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	start := time.Now()
	if _, err := p.Retrieve(context.Background()); err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	if exp := p.Stats().Expiration; exp.After(start.Add(time.Hour + time.Minute)) {
		t.Errorf("a 1-h session is held until %v from now (ClockSkew %v); STS rejects it after 1 h",
			exp.Sub(start).Round(time.Minute), p.Stats().ClockSkew)
	}
}
