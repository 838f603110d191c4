package awssts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go/metrics"
	"github.com/aws/smithy-go/tracing"
)

// WrapOptions configures Wrap. The zero value of every field means its default.
type WrapOptions struct {
	// ExpiryWindow is how long before their expiry the credentials count as expired and are
	// renewed. 0 means DefaultExpiryWindow; at most 12 h.
	ExpiryWindow time.Duration

	// Prefetch starts the prefetch goroutine in Wrap, as StartPrefetch does.
	Prefetch bool

	// Logger receives refreshes at Debug and failures at Warn. nil means silent.
	Logger *slog.Logger

	// MeterProvider and TracerProvider, as in Options. nil means none.
	MeterProvider  metrics.MeterProvider
	TracerProvider tracing.TracerProvider
}

const maxWrapExpiryWindow = 12 * time.Hour

// Wrap puts any credentials provider behind the engine: background renewal, stale-on-failure,
// backoff, optional prefetch, Stats and Logger. src may be what config.LoadDefaultConfig
// returns, an *aws.CredentialsCache around the default chain (web identity, the ECS/EKS
// container endpoint, IMDS, SSO, credential_process): when such a cache answers with the
// credentials it gave last time, Wrap invalidates it and asks once more, so that a renewal
// reaches the real source. Nothing else is invalidated: a cache may be shared with other
// clients, and a Provider keeps its own stale-on-failure. From a Provider, Wrap takes the
// real expiry.
//
//	cfg, _ := config.LoadDefaultConfig(ctx)
//	p, _ := awssts.Wrap(cfg.Credentials, func(o *awssts.WrapOptions) { o.Prefetch = true })
//	cfg.Credentials = p // clients built from cfg use p directly
//
// A source that answers with the credentials already held, as IMDS and the container
// endpoints do until close to their own rotation, is asked again after a backoff, while the
// held credentials are served. Credentials that cannot expire pass through: one source call,
// and no prefetch.
func Wrap(src aws.CredentialsProvider, optFns ...func(*WrapOptions)) (*Provider, error) {
	if src == nil {
		return nil, errors.New("awssts: Wrap: src is nil: pass an aws.CredentialsProvider, such as cfg.Credentials from config.LoadDefaultConfig")
	}
	if c, ok := src.(*aws.CredentialsCache); ok && c.IsCredentialsProvider(&Provider{}) {
		// Such a cache tells when to ask again, not when its credentials expire.
		return nil, errors.New("awssts: Wrap: src is an aws.CredentialsCache around an awssts Provider (what config.WithCredentialsProvider(p) makes): wrap the Provider itself, or use it directly")
	}
	var o WrapOptions
	for _, fn := range optFns {
		fn(&o)
	}
	if o.ExpiryWindow == 0 {
		o.ExpiryWindow = DefaultExpiryWindow
	}
	if o.ExpiryWindow < 0 || o.ExpiryWindow > maxWrapExpiryWindow {
		return nil, fmt.Errorf("awssts: WrapOptions.ExpiryWindow %v: must be more than 0 and at most %v, or 0 for the default (%v)", o.ExpiryWindow, maxWrapExpiryWindow, DefaultExpiryWindow)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return newProvider(&wrapped{src: src}, engineOptions{o.ExpiryWindow, o.Logger, o.Prefetch, o.MeterProvider, o.TracerProvider})
}

// wrapped is the source of Wrap: any aws.CredentialsProvider.
type wrapped struct {
	src aws.CredentialsProvider

	mu   sync.Mutex
	last aws.Credentials // the latest answer of src
}

func (w *wrapped) String() string { return fmt.Sprintf("Wrap %T", w.src) }

func (w *wrapped) action() string { return "Wrap" }

func (w *wrapped) credentialSources() []aws.CredentialSource {
	if s, ok := w.src.(aws.CredentialProviderSource); ok {
		return s.ProviderSources()
	}
	return nil
}

// fetch asks src once, or twice when src is an aws.CredentialsCache that answered with its
// copy of the last answer.
func (w *wrapped) fetch(ctx context.Context) (answer, error) {
	creds, err := w.retrieve(ctx)
	if cache, ok := w.src.(*aws.CredentialsCache); ok && err == nil && w.repeats(creds) {
		cache.Invalidate()
		creds, err = w.retrieve(ctx)
	}
	if err != nil {
		return answer{}, w.explain(err)
	}
	w.mu.Lock()
	w.last = creds
	w.mu.Unlock()
	return answer{creds: creds}, nil
}

func (w *wrapped) retrieve(ctx context.Context) (aws.Credentials, error) {
	if p, ok := w.src.(*Provider); ok {
		return p.retrieveReal(ctx)
	}
	return w.src.Retrieve(ctx)
}

// repeats says whether creds are the answer src gave last time.
func (w *wrapped) repeats(creds aws.Credentials) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return creds.AccessKeyID == w.last.AccessKeyID && creds.Expires.Equal(w.last.Expires)
}

// explain names the source in err, once: an error that already says "awssts: " comes from a
// Provider inside src and names its own. The prefix of the SDK's cache goes, so that behind
// another cache the message says "failed to refresh cached credentials" once.
func (w *wrapped) explain(err error) error {
	if inner := errors.Unwrap(err); inner != nil && strings.HasPrefix(err.Error(), "failed to refresh cached credentials, ") {
		err = inner
	}
	if strings.HasPrefix(err.Error(), "awssts: ") {
		return onePrefix(err)
	}
	return onePrefix(fmt.Errorf("awssts: %s: %w", w, err))
}
