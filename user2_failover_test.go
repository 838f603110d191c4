package awssts_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	smithyendpoints "github.com/aws/smithy-go/endpoints"

	"github.com/awssts/awssts"
	"github.com/awssts/awssts/ststest"
)

// oneSTS is one ststest server that answers for every region, as regional STS endpoints
// share one identity (a token from any region works in every region), behind an
// EndpointResolverV2 and a transport that can take a region down.
type oneSTS struct {
	srv *ststest.Server

	mu    sync.Mutex
	down  map[string]bool // region: requests hang until their context ends
	asked map[string]map[string]int
}

func newOneSTS(t *testing.T) *oneSTS {
	srv := ststest.NewInMemoryServer()
	t.Cleanup(srv.Close)
	srv.AddUser(u2User, u2Secret)
	srv.AddRole(u2Role, 0)
	return &oneSTS{srv: srv, down: map[string]bool{}, asked: map[string]map[string]int{}}
}

func (o *oneSTS) ResolveEndpoint(_ context.Context, p sts.EndpointParameters) (smithyendpoints.Endpoint, error) {
	u, err := url.Parse("http://" + aws.ToString(p.Region) + ".ststest.invalid")
	return smithyendpoints.Endpoint{URI: *u}, err
}

func (o *oneSTS) RoundTrip(r *http.Request) (*http.Response, error) {
	region, _, _ := strings.Cut(r.URL.Host, ".")
	body, _ := io.ReadAll(r.Body)
	action, _ := url.ParseQuery(string(body))
	r.Body = io.NopCloser(strings.NewReader(string(body)))
	o.mu.Lock()
	if o.asked[region] == nil {
		o.asked[region] = map[string]int{}
	}
	o.asked[region][action.Get("Action")]++
	down := o.down[region]
	o.mu.Unlock()
	if down {
		<-r.Context().Done()
		return nil, r.Context().Err()
	}
	return o.srv.Client().Transport.RoundTrip(r)
}

func (o *oneSTS) setDown(region string, down bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.down[region] = down
}

func (o *oneSTS) count(region, action string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.asked[region][action]
}

// cfg is an SDK config of region us-east-1 that reaches o.
func (o *oneSTS) cfg() aws.Config {
	return aws.Config{Region: "us-east-1", HTTPClient: &http.Client{Transport: o},
		Credentials: credentials.NewStaticCredentialsProvider(u2User, u2Secret, "")}
}

// The README's MFA chain, NewSessionToken as the source of New, both with FailoverRegions and
// prefetch, through a 6-hour outage of the primary (a black hole), then its recovery: no
// Retrieve fails or waits, Stats().Region follows, the Warn lines are few and readable.
func TestUser2_Failover_SessionTokenChainThroughASixHourOutage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		o := newOneSTS(t)
		var logs syncBuffer
		logger := slog.New(slog.NewTextHandler(&logs, nil))
		fo := func(opt *awssts.Options) {
			opt.FailoverRegions, opt.Prefetch, opt.Logger = []string{"us-west-2"}, true, logger
		}
		cfg := o.cfg()
		session, err := awssts.NewSessionToken(sts.NewFromConfig(cfg, func(so *sts.Options) { so.EndpointResolverV2 = o }), fo)
		if err != nil {
			t.Fatal(err)
		}
		defer session.Close()
		cfg.Credentials = session
		p, err := awssts.New(sts.NewFromConfig(cfg, func(so *sts.Options) { so.EndpointResolverV2 = o }), u2Role, fo)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		if _, err := p.Retrieve(context.Background()); err != nil {
			t.Fatal(err)
		}
		if p.Stats().Region != "us-east-1" || session.Stats().Region != "us-east-1" {
			t.Fatalf("Region before the outage: %q and %q, want us-east-1", p.Stats().Region, session.Stats().Region)
		}

		o.setDown("us-east-1", true)
		errs, waits := 0, 0
		for end := time.Now().Add(6 * time.Hour); time.Now().Before(end); time.Sleep(time.Second) {
			start := time.Now()
			if _, err := p.Retrieve(context.Background()); err != nil {
				errs++
			}
			if time.Since(start) > 0 {
				waits++
			}
		}
		if errs != 0 || waits != 0 {
			t.Errorf("during 6 h of primary outage: %d errors, %d waits; want 0 and 0", errs, waits)
		}
		if p.Stats().Region != "us-west-2" {
			t.Errorf("Stats().Region during the outage = %q, want us-west-2", p.Stats().Region)
		}
		primary := o.count("us-east-1", "AssumeRole")
		if primary > 12 {
			t.Errorf("%d AssumeRole attempts in the dead primary in 6 h, want a few probes", primary)
		}

		o.setDown("us-east-1", false)
		for end := time.Now().Add(3 * time.Hour); time.Now().Before(end); time.Sleep(time.Second) {
			if _, err := p.Retrieve(context.Background()); err != nil {
				errs++
			}
		}
		if errs != 0 {
			t.Errorf("%d errors after the primary recovered", errs)
		}
		if p.Stats().Region != "us-east-1" {
			t.Errorf("Stats().Region 3 h after the primary recovered = %q, want us-east-1", p.Stats().Region)
		}
		out := logs.String()
		if n := strings.Count(out, "failed over"); n < 1 || n > 4 {
			t.Errorf("%d 'failed over' Warn lines for one 6-hour outage, want 1 or 2 per Provider:\n%s", n, out)
		}
		held, _ := p.Retrieve(context.Background())
		mfa, _ := session.Retrieve(context.Background())
		for _, secret := range []string{u2Secret, held.SecretAccessKey, held.SessionToken, mfa.SecretAccessKey, mfa.SessionToken} {
			if strings.Contains(out, secret) {
				t.Errorf("the log holds %q", secret)
			}
		}
		t.Logf("primary AssumeRole attempts during the outage: %d\n%s", primary, out)
	})
}

// AWS_ENDPOINT_URL (for every service) and AWS_ENDPOINT_URL_STS both set the STS client's
// BaseEndpoint through config.LoadDefaultConfig and NewFromConfig. With FailoverRegions,
// NewFromConfig refuses.
//
// Expected: the error names what set the endpoint; for AWS_ENDPOINT_URL, it names
// AWS_ENDPOINT_URL, not only AWS_ENDPOINT_URL_STS.
func TestUser2_Failover_EndpointFromTheEnvironmentIsNamed(t *testing.T) {
	for _, env := range []string{"AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"} {
		t.Run(env, func(t *testing.T) {
			t.Setenv(env, "http://127.0.0.1:1")
			t.Setenv("AWS_CONFIG_FILE", "/dev/null")
			t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
			cfg, err := config.LoadDefaultConfig(t.Context(), config.WithRegion("us-east-1"),
				config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(u2User, u2Secret, "")))
			if err != nil {
				t.Fatal(err)
			}
			p, err := awssts.NewFromConfig(cfg, u2Role, func(o *awssts.Options) { o.FailoverRegions = []string{"us-west-2"} })
			if err == nil {
				p.Close()
				t.Fatalf("NewFromConfig with %s set and FailoverRegions: no error", env)
			}
			if !strings.Contains(err.Error(), "FailoverRegions") || !strings.Contains(err.Error(), env+" ") && !strings.Contains(err.Error(), env+")") && !strings.Contains(err.Error(), env+",") {
				t.Errorf("error %q does not name %s, which set the endpoint", err, env)
			}
		})
	}
}
