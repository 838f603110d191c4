package awssts_test

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/tracing"

	"github.com/awssts/awssts"
	"github.com/awssts/awssts/ststest"
)

const (
	telUser   = "AKIATELEMETRY0000000"
	telSecret = "telemetry-secret-must-not-leak"
	telRole   = "arn:aws:iam::123456789012:role/observed"
)

// observedProvider is a Provider of srv's role with meter and tracer, whose STS client is
// given the same tracer.
func observedProvider(t *testing.T, srv *ststest.Server, m *fakeMeter, tr *fakeTracer, optFns ...func(*awssts.Options)) *awssts.Provider {
	t.Helper()
	client := sts.NewFromConfig(inMemoryConfig(srv, telUser, telSecret), func(o *sts.Options) { o.TracerProvider = tr })
	p, err := awssts.New(client, telRole, append([]func(*awssts.Options){func(o *awssts.Options) {
		o.MeterProvider, o.TracerProvider = m, tr
		o.ExternalID = aws.String("external-id-must-not-leak")
	}}, optFns...)...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Each source call is counted and timed with its source, outcome and region; the remaining
// time and the skew are observed while credentials are held; Retrieve errors count callers.
func TestTelemetry_Instruments(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := ststest.NewInMemoryServer()
		defer srv.Close()
		srv.AddUser(telUser, telSecret)
		srv.AddRole(telRole, 0)
		srv.SetClockSkew(3 * time.Minute)
		m, tr := &fakeMeter{}, &fakeTracer{}
		p := observedProvider(t, srv, m, tr)
		defer p.Close()

		m.collect()
		if got := m.find("awssts.credentials.remaining", nil); len(got) != 0 {
			t.Errorf("remaining observed %v before any credentials were held", got)
		}
		if _, err := p.Retrieve(context.Background()); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		renewed := map[string]string{"awssts.source": "AssumeRole", "awssts.outcome": "renewed", "aws.region": "us-east-1"}
		if n := len(m.find("awssts.source.calls", renewed)); n != 1 {
			t.Errorf("%d awssts.source.calls points with %v, want 1:\n%s", n, renewed, m.allText())
		}
		if n := len(m.find("awssts.source.duration", renewed)); n != 1 {
			t.Errorf("%d awssts.source.duration points, want 1", n)
		}
		time.Sleep(10 * time.Minute)
		m.collect()
		remaining := m.find("awssts.credentials.remaining", map[string]string{"awssts.source": "AssumeRole"})
		want := (awssts.DefaultDuration - 10*time.Minute).Seconds()
		if len(remaining) != 1 || remaining[0].value < want-2 || remaining[0].value > want+1 {
			t.Errorf("remaining = %v, want about %v s", remaining, want)
		}
		skew := m.find("awssts.clock.skew", nil)
		if len(skew) != 1 || skew[0].value != (3*time.Minute).Seconds() {
			t.Errorf("skew = %v, want 180 s", skew)
		}

		srv.FailAction("AssumeRole", ststest.ServiceUnavailable, 1<<30)
		p.Invalidate()
		for range 3 {
			if _, err := p.Retrieve(context.Background()); err == nil {
				t.Fatal("Retrieve succeeded while STS is down")
			}
		}
		synctest.Wait()
		if n := len(m.find("awssts.retrieve.errors", nil)); n != 3 {
			t.Errorf("%d awssts.retrieve.errors points for 3 failed Retrieves, want 3", n)
		}
		if n := len(m.find("awssts.source.calls", map[string]string{"awssts.outcome": "failed"})); n != 1 {
			t.Errorf("%d failed calls counted, want 1 (the others were in the backoff)", n)
		}

		p.Close()
		m.mu.Lock()
		stopped, left := len(m.stopped), len(m.callbacks)
		m.mu.Unlock()
		if stopped != 2 || left != 0 {
			t.Errorf("after Close: %d async instruments stopped, %d callbacks left; want 2 and 0", stopped, left)
		}
		if m.scopes[0] != "github.com/awssts/awssts" {
			t.Errorf("meter scope %q", m.scopes[0])
		}
		for _, secret := range []string{telSecret, "external-id-must-not-leak", "SECRET", "TOKEN"} {
			if strings.Contains(m.allText(), secret) {
				t.Errorf("a metric attribute holds %q", secret)
			}
		}
	})
}

// Every source call has an awssts.refresh span, ended once on every path, with the source and
// outcome, error status on failure, and the STS client's own spans under it.
func TestTelemetry_RefreshSpanParentsTheSDKSpans(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := ststest.NewInMemoryServer()
		defer srv.Close()
		srv.AddUser(telUser, telSecret)
		srv.AddRole(telRole, 0)
		m, tr := &fakeMeter{}, &fakeTracer{}
		p := observedProvider(t, srv, m, tr)
		defer p.Close()
		if _, err := p.Retrieve(context.Background()); err != nil {
			t.Fatal(err)
		}
		srv.FailAction("AssumeRole", ststest.ServiceUnavailable, 1<<30)
		p.Invalidate()
		_, _ = p.Retrieve(context.Background())
		synctest.Wait()

		refreshes := tr.named("awssts.refresh")
		if len(refreshes) != 2 {
			t.Fatalf("%d awssts.refresh spans, want 2", len(refreshes))
		}
		tr.mu.Lock()
		defer tr.mu.Unlock()
		for i, want := range []struct {
			outcome string
			status  tracing.SpanStatus
		}{{"renewed", tracing.SpanStatusOK}, {"failed", tracing.SpanStatusError}} {
			s := refreshes[i]
			if s.ended != 1 || s.props.Get("awssts.source") != "AssumeRole" || s.props.Get("awssts.outcome") != want.outcome || s.status != want.status {
				t.Errorf("span %d: ended %d, source %v, outcome %v, status %v; want 1, AssumeRole, %s, %v",
					i, s.ended, s.props.Get("awssts.source"), s.props.Get("awssts.outcome"), s.status, want.outcome, want.status)
			}
		}
		nested := 0
		for _, s := range tr.spans {
			if s.name != "awssts.refresh" && s.scope == "github.com/aws/aws-sdk-go-v2/service/sts" {
				if s.parent == nil || s.parent.name != "awssts.refresh" && s.parent.scope != s.scope {
					t.Errorf("SDK span %q has parent %v, want under awssts.refresh", s.name, s.parent)
				}
				nested++
			}
		}
		if nested == 0 {
			t.Error("the STS client made no spans under awssts.refresh")
		}
	})
}

// Wrap takes a MeterProvider too, and counts an unchanged answer as such.
func TestTelemetry_WrapUnchanged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := &fakeMeter{}
		src := credentials.StaticCredentialsProvider{Value: aws.Credentials{AccessKeyID: "ASIAIMDS", SecretAccessKey: "s",
			CanExpire: true, Expires: time.Now().Add(time.Hour)}}
		p, err := awssts.Wrap(src, func(o *awssts.WrapOptions) { o.MeterProvider, o.ExpiryWindow = m, 10*time.Minute })
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		if _, err := p.Retrieve(context.Background()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(51 * time.Minute) // due: renewed in the background, to the same answer
		if _, err := p.Retrieve(context.Background()); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if n := len(m.find("awssts.source.calls", map[string]string{"awssts.source": "Wrap", "awssts.outcome": "unchanged"})); n != 1 {
			t.Errorf("%d unchanged Wrap calls counted, want 1:\n%s", n, m.allText())
		}
	})
}
