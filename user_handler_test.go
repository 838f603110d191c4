package awssts_test

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/awssts/awssts"
	"github.com/awssts/awssts/ststest"
)

// shippingHandler ships every record with an SDK client that signs with the Provider it logs
// for, as a CloudWatch Logs or Kinesis handler does.
type shippingHandler struct {
	client  atomic.Pointer[sts.Client]
	shipped atomic.Int32
	failed  atomic.Int32
}

func (h *shippingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *shippingHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *shippingHandler) WithGroup(string) slog.Handler            { return h }
func (h *shippingHandler) Handle(context.Context, slog.Record) error {
	c := h.client.Load()
	if c == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, err := c.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		h.failed.Add(1)
	} else {
		h.shipped.Add(1)
	}
	return nil
}

// A handler that signs with the same Provider through config.WithCredentialsProvider's cache,
// at Debug and Warn, with and without prefetch: no caller waits past STS's own latency.
func TestUserHeld_HandlerSignsWithSameProviderThroughSDKCache(t *testing.T) {
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	for _, prefetch := range []bool{false, true} {
		synctest.Test(t, func(t *testing.T) {
			srv := ststest.NewInMemoryServer()
			defer srv.Close()
			srv.AddUser(childUser, childSecret)
			srv.AddRole(childRole, 0)
			h := &shippingHandler{}
			p, err := awssts.NewFromConfig(inMemoryConfig(srv, childUser, childSecret), childRole, func(o *awssts.Options) {
				o.Prefetch, o.Logger = prefetch, slog.New(h)
				o.Duration, o.ExpiryWindow = time.Hour, 10*time.Minute // the same scenario in -tags dev
			})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("us-east-1"),
				config.WithBaseEndpoint(srv.URL), config.WithCredentialsProvider(p))
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := cfg.Credentials.(*aws.CredentialsCache); !ok {
				t.Fatalf("cfg.Credentials is %T", cfg.Credentials)
			}
			cfg.HTTPClient = srv.Client()
			client := sts.NewFromConfig(cfg)
			h.client.Store(client)
			var wg sync.WaitGroup
			var worst atomic.Int64
			end := time.Now().Add(2 * time.Hour)
			srv.Delay(time.Second, 1)
			for i := range 5 {
				wg.Go(func() {
					for time.Now().Before(end) {
						start := time.Now()
						ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
						_, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
						cancel()
						if err != nil && i == 0 {
							t.Errorf("GetCallerIdentity: %v", err)
						}
						if d := time.Since(start); d > time.Duration(worst.Load()) {
							worst.Store(int64(d))
						}
						time.Sleep(30 * time.Second)
					}
				})
			}
			// An outage around the second renewal: failures are logged at Warn and shipped.
			time.Sleep(95 * time.Minute)
			srv.FailAction("AssumeRole", ststest.ServiceUnavailable, 1<<20)
			time.Sleep(10 * time.Minute)
			srv.Recover()
			wg.Wait()
			synctest.Wait()
			if w := time.Duration(worst.Load()); w > time.Second || h.shipped.Load() < 3 || h.failed.Load() != 0 {
				t.Errorf("prefetch %v: worst wait %v, %d records shipped, %d failed; want at most 1 s and at least 3", prefetch, w, h.shipped.Load(), h.failed.Load())
			}
		})
	}
}
