package awssts_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	smithyendpoints "github.com/aws/smithy-go/endpoints"

	"github.com/awssts/awssts"
	"github.com/awssts/awssts/ststest"
)

const (
	foUser   = "AKIAFAILOVERUSER0001"
	foSecret = "failover-secret"
	foRole   = "arn:aws:iam::123456789012:role/failover"
)

// stsRegions is one in-memory ststest server per region, behind an EndpointResolverV2 that
// sends each region's requests to its own server (http://REGION.ststest.invalid).
type stsRegions map[string]*ststest.Server

func newRegions(t *testing.T, names ...string) stsRegions {
	t.Helper()
	rs := stsRegions{}
	for _, name := range names {
		srv := ststest.NewInMemoryServer()
		t.Cleanup(srv.Close)
		srv.AddUser(foUser, foSecret)
		srv.AddRole(foRole, 0)
		rs[name] = srv
	}
	return rs
}

func (rs stsRegions) ResolveEndpoint(_ context.Context, p sts.EndpointParameters) (smithyendpoints.Endpoint, error) {
	u, err := url.Parse("http://" + aws.ToString(p.Region) + ".ststest.invalid")
	return smithyendpoints.Endpoint{URI: *u}, err
}

// RoundTrip sends a request to the server of the region its host names.
func (rs stsRegions) RoundTrip(r *http.Request) (*http.Response, error) {
	region, _, _ := strings.Cut(r.URL.Host, ".")
	srv, ok := rs[region]
	if !ok {
		return nil, fmt.Errorf("no STS in region %q", region)
	}
	return srv.Client().Transport.RoundTrip(r)
}

// client is an STS client of the primary region with the test user's long-term keys and no
// retries, unless optFns say otherwise.
func (rs stsRegions) client(primary string, optFns ...func(*sts.Options)) *sts.Client {
	o := sts.Options{
		Region:             primary,
		Credentials:        credentials.NewStaticCredentialsProvider(foUser, foSecret, ""),
		HTTPClient:         &http.Client{Transport: rs},
		EndpointResolverV2: rs,
		Retryer:            aws.NopRetryer{},
	}
	return sts.New(o, optFns...)
}

// assumes counts the AssumeRole calls each region's server received.
func (rs stsRegions) assumes() map[string]int {
	n := map[string]int{}
	for name, srv := range rs {
		for _, c := range srv.Calls() {
			if c.Action == "AssumeRole" {
				n[name]++
			}
		}
	}
	return n
}

func newFailoverProvider(t *testing.T, c *sts.Client, regions []string, optFns ...func(*awssts.Options)) *awssts.Provider {
	t.Helper()
	p, err := awssts.New(c, foRole, append([]func(*awssts.Options){func(o *awssts.Options) {
		o.FailoverRegions = regions
		o.Duration, o.ExpiryWindow = time.Hour, 10*time.Minute
	}}, optFns...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// Each kind of outage in the primary region fails over to the next region, whose answer is
// served and named in Stats.Region.
func TestFailover_OnEachKindOfOutage(t *testing.T) {
	outages := map[string]func(*ststest.Server){
		"5xx":              func(s *ststest.Server) { s.Fail(ststest.ServiceUnavailable, 1000) },
		"500":              func(s *ststest.Server) { s.Fail(ststest.InternalFailure, 1000) },
		"throttling":       func(s *ststest.Server) { s.Fail(ststest.Throttling, 1000) },
		"rate limit":       func(s *ststest.Server) { s.SetRateLimit(1, 1) },
		"connection error": func(s *ststest.Server) { s.Fail(ststest.ConnectionReset, 1000) },
		"timeout":          func(s *ststest.Server) { s.Delay(24*time.Hour, 1000) },
		"closed":           func(s *ststest.Server) { s.Close() },
	}
	for name, outage := range outages {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rs := newRegions(t, "us-east-1", "us-west-2")
				p := newFailoverProvider(t, rs.client("us-east-1"), []string{"us-west-2"})
				outage(rs["us-east-1"])
				if name == "rate limit" {
					_, _ = rs.client("us-east-1").GetCallerIdentity(t.Context(), nil) // the only token
				}
				start := time.Now()
				creds, err := p.Retrieve(t.Context())
				if err != nil {
					t.Fatalf("Retrieve with us-east-1 down: %v", err)
				}
				if got := p.Stats().Region; got != "us-west-2" {
					t.Errorf("Stats().Region = %q, want us-west-2", got)
				}
				if !strings.HasPrefix(creds.AccessKeyID, "ASIA") {
					t.Errorf("AccessKeyID = %q, want temporary credentials", creds.AccessKeyID)
				}
				if n := rs.assumes(); n["us-west-2"] != 1 {
					t.Errorf("AssumeRole calls per region = %v, want 1 in us-west-2", n)
				}
				if waited := time.Since(start); waited > 30*time.Second {
					t.Errorf("the first Retrieve took %v; a region gets at most 30 s of the minute", waited)
				}
			})
		})
	}
}

// A client fault is the service saying no, and another region would say the same: no
// failover, and the error is returned.
func TestFailover_NotOnClientFaults(t *testing.T) {
	for name, setup := range map[string]func(rs stsRegions) *sts.Client{
		"AccessDenied": func(rs stsRegions) *sts.Client {
			p := rs.client("us-east-1")
			rs["us-east-1"].AddRole("arn:aws:iam::123456789012:role/other", 0)
			return p
		},
		"InvalidClientTokenId": func(rs stsRegions) *sts.Client {
			return rs.client("us-east-1", func(o *sts.Options) {
				o.Credentials = credentials.NewStaticCredentialsProvider("AKIAUNKNOWNKEY000000", "x", "")
			})
		},
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rs := newRegions(t, "us-east-1", "us-west-2")
				role := foRole
				c := setup(rs)
				if name == "AccessDenied" {
					role = "arn:aws:iam::123456789012:role/never-added"
				}
				p, err := awssts.New(c, role, func(o *awssts.Options) { o.FailoverRegions = []string{"us-west-2"} })
				if err != nil {
					t.Fatal(err)
				}
				defer p.Close()
				_, err = p.Retrieve(t.Context())
				if err == nil || !strings.Contains(err.Error(), name) {
					t.Fatalf("Retrieve = %v, want the %s error", err, name)
				}
				if n := rs.assumes(); n["us-west-2"] != 0 || n["us-east-1"] != 1 {
					t.Errorf("AssumeRole calls per region = %v, want one in us-east-1 and none in us-west-2", n)
				}
			})
		})
	}
}

// A region that answers RegionDisabledException is skipped with a Warn naming it, and the next
// region answers.
func TestFailover_SkipsADisabledRegion(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rs := newRegions(t, "us-east-1", "us-west-2", "eu-west-1")
		rs["us-east-1"].Fail(ststest.ServiceUnavailable, 1000)
		rs["us-west-2"].SetRegionDisabled(true)
		var logs syncBuffer
		p := newFailoverProvider(t, rs.client("us-east-1"), []string{"us-west-2", "eu-west-1"}, func(o *awssts.Options) {
			o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		})
		if _, err := p.Retrieve(t.Context()); err != nil {
			t.Fatalf("Retrieve: %v", err)
		}
		synctest.Wait()
		if got := p.Stats().Region; got != "eu-west-1" {
			t.Errorf("Stats().Region = %q, want eu-west-1", got)
		}
		out := logs.String()
		if !strings.Contains(out, "level=WARN") || !strings.Contains(out, "region=us-west-2") || !strings.Contains(out, "RegionDisabledException") {
			t.Errorf("log has no Warn naming us-west-2 as disabled:\n%s", out)
		}
	})
}

// After a failover, renewals go straight to the region that answered and never wait on the
// primary's timeout; the primary is probed again after a backoff, and once it answers,
// renewals return to it.
func TestFailover_StaysThenProbesThePrimary(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rs := newRegions(t, "us-east-1", "us-west-2")
		rs["us-east-1"].Delay(48*time.Hour, 1<<20) // a black hole
		p := newFailoverProvider(t, rs.client("us-east-1"), []string{"us-west-2"})
		if _, err := p.Retrieve(t.Context()); err != nil {
			t.Fatalf("first Retrieve: %v", err)
		}
		primaryCalls := rs.assumes()["us-east-1"]
		var slowest time.Duration
		for range 6 { // six renewals, ten minutes apart at most
			p.Invalidate()
			time.Sleep(10 * time.Minute)
			start := time.Now()
			if _, err := p.Retrieve(t.Context()); err != nil {
				t.Fatalf("renewal: %v", err)
			}
			slowest = max(slowest, time.Since(start))
		}
		probes := rs.assumes()["us-east-1"] - primaryCalls
		if probes < 1 || probes > 3 {
			t.Errorf("%d probes of the primary in an hour of renewals, want 1 to 3", probes)
		}
		if slowest > 5*time.Second {
			t.Errorf("a renewal after the failover took %v, want at most the 5 s of a probe", slowest)
		}

		rs["us-east-1"].Recover()
		var back bool
		for range 12 {
			p.Invalidate()
			time.Sleep(10 * time.Minute)
			if _, err := p.Retrieve(t.Context()); err != nil {
				t.Fatalf("renewal: %v", err)
			}
			if back = p.Stats().Region == "us-east-1"; back {
				break
			}
		}
		if !back {
			t.Fatalf("still in %s 2 h after the primary recovered", p.Stats().Region)
		}
		west := rs.assumes()["us-west-2"]
		p.Invalidate()
		if _, err := p.Retrieve(t.Context()); err != nil || rs.assumes()["us-west-2"] != west {
			t.Errorf("after the return, a renewal asked us-west-2 (%v)", err)
		}
	})
}

// NewWebIdentity and NewSessionToken fail over too.
func TestFailover_WebIdentityAndSessionToken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rs := newRegions(t, "us-east-1", "us-west-2")
		rs["us-west-2"].AddWebIdentityToken("web-token")
		rs["us-east-1"].Fail(ststest.InternalFailure, 1000)
		fo := func(o *awssts.Options) { o.FailoverRegions = []string{"us-west-2"} }

		web, err := awssts.NewWebIdentity(rs.client("us-east-1"), foRole, stscreds.IdentityTokenRetriever(staticToken("web-token")), fo)
		if err != nil {
			t.Fatal(err)
		}
		defer web.Close()
		session, err := awssts.NewSessionToken(rs.client("us-east-1"), fo)
		if err != nil {
			t.Fatal(err)
		}
		defer session.Close()
		for name, p := range map[string]*awssts.Provider{"NewWebIdentity": web, "NewSessionToken": session} {
			if _, err := p.Retrieve(t.Context()); err != nil {
				t.Errorf("%s: Retrieve: %v", name, err)
			} else if got := p.Stats().Region; got != "us-west-2" {
				t.Errorf("%s: Stats().Region = %q, want us-west-2", name, got)
			}
		}
	})
}

type staticToken string

func (s staticToken) GetIdentityToken() ([]byte, error) { return []byte(s), nil }

// Bad FailoverRegions, and clients that have nothing to fail over with, are errors from New
// that name the field; no STS call is made.
func TestFailover_RejectedInNew(t *testing.T) {
	rs := stsRegions{}
	good := rs.client("us-east-1")
	withBase := rs.client("us-east-1", func(o *sts.Options) { o.BaseEndpoint = aws.String("http://127.0.0.1:1") })
	cases := []struct {
		name    string
		client  stscreds.AssumeRoleAPIClient
		regions []string
		want    string
	}{
		{"not an sts.Client", stubAssumer{}, []string{"us-west-2"}, "*sts.Client"},
		{"BaseEndpoint", withBase, []string{"us-west-2"}, "BaseEndpoint"},
		{"syntax", good, []string{"us-west-2", "US_EAST"}, `FailoverRegions[1] "US_EAST"`},
		{"empty", good, []string{""}, `FailoverRegions[0] ""`},
		{"duplicate", good, []string{"us-west-2", "eu-west-1", "us-west-2"}, `FailoverRegions[2] "us-west-2"`},
		{"own region", good, []string{"us-east-1"}, `FailoverRegions[0] "us-east-1"`},
		{"other partition", good, []string{"cn-north-1"}, `FailoverRegions[0] "cn-north-1"`},
	}
	for _, tc := range cases {
		_, err := awssts.New(tc.client, foRole, func(o *awssts.Options) { o.FailoverRegions = tc.regions })
		if err == nil || !strings.Contains(err.Error(), "FailoverRegions") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: New = %v, want an error naming FailoverRegions and %s", tc.name, err, tc.want)
		}
	}
	for _, regions := range [][]string{{"us-west-2", "eu-central-1", "ap-southeast-3", "il-central-1", "mx-central-1"}} {
		p, err := awssts.New(good, foRole, func(o *awssts.Options) { o.FailoverRegions = regions })
		if err != nil {
			t.Errorf("New with %v: %v", regions, err)
			continue
		}
		p.Close()
	}
}

type stubAssumer struct{}

func (stubAssumer) AssumeRole(context.Context, *sts.AssumeRoleInput, ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	return nil, fmt.Errorf("not called")
}

// handlerThatRetrieves signs with the Provider it logs for, as a log shipper on the same
// Provider does, and records how long that took.
type handlerThatRetrieves struct {
	p      **awssts.Provider
	waited chan time.Duration
}

func (h handlerThatRetrieves) Enabled(context.Context, slog.Level) bool { return true }
func (h handlerThatRetrieves) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h handlerThatRetrieves) WithGroup(string) slog.Handler            { return h }
func (h handlerThatRetrieves) Handle(ctx context.Context, r slog.Record) error {
	if strings.Contains(r.Message, "failed over") {
		start := time.Now()
		_, _ = (*h.p).Retrieve(context.Background())
		h.waited <- time.Since(start)
	}
	return nil
}

// The failover's Warn is written once the call's waiters are released, so a handler that
// calls Retrieve gets the new credentials at once instead of waiting on the call that logs.
func TestFailover_WarnWithAHandlerThatRetrieves(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rs := newRegions(t, "us-east-1", "us-west-2")
		rs["us-east-1"].Fail(ststest.ServiceUnavailable, 1000)
		var p *awssts.Provider
		h := handlerThatRetrieves{&p, make(chan time.Duration, 1)}
		p = newFailoverProvider(t, rs.client("us-east-1"), []string{"us-west-2"}, func(o *awssts.Options) { o.Logger = slog.New(h) })
		if _, err := p.Retrieve(t.Context()); err != nil {
			t.Fatal(err)
		}
		if waited := <-h.waited; waited != 0 {
			t.Errorf("the handler's Retrieve waited %v", waited)
		}
	})
}
