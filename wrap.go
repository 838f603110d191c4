package awssts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
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
}

const maxWrapExpiryWindow = 12 * time.Hour

// Wrap puts any credentials provider behind the engine: background renewal, stale-on-failure,
// backoff, optional prefetch, Stats and Logger. src may be what config.LoadDefaultConfig
// returns, an *aws.CredentialsCache around the default chain (web identity, the ECS/EKS
// container endpoint, IMDS, SSO, credential_process): before each renewal Wrap invalidates
// such a cache, so that the renewal reaches the real source.
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
	return newProvider(&wrapped{src: src}, o.ExpiryWindow, o.Logger, o.Prefetch), nil
}

// wrapped is the source of Wrap: any aws.CredentialsProvider.
type wrapped struct{ src aws.CredentialsProvider }

func (w *wrapped) String() string { return fmt.Sprintf("Wrap %T", w.src) }

func (w *wrapped) credentialSources() []aws.CredentialSource {
	if s, ok := w.src.(aws.CredentialProviderSource); ok {
		return s.ProviderSources()
	}
	return nil
}

// fetch asks src once. A cache in src is invalidated first, so that its copy is not
// mistaken for a renewal.
func (w *wrapped) fetch(ctx context.Context) (answer, error) {
	if c, ok := w.src.(interface{ Invalidate() }); ok {
		c.Invalidate()
	}
	creds, err := w.src.Retrieve(ctx)
	if err != nil {
		return answer{}, fmt.Errorf("awssts: %s: %w", w, unwrapCacheError(err))
	}
	return answer{creds: creds}, nil
}
