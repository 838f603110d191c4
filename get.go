package awssts

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// maxShared bounds how many Providers Get keeps. Past it, the one used least recently is
// closed and forgotten; a later Get with its arguments makes a new one.
const maxShared = 64

// shared holds the Providers made by Get, one for each distinct set of arguments. A Provider
// is built outside the lock, once per key: a Get of a key being built waits for that build,
// and a Get of another key does not.
var shared struct {
	sync.Mutex
	entries map[[sha256.Size]byte]*sharedEntry
	order   [][sha256.Size]byte // the built keys, the most recently used last
}

type sharedEntry struct {
	ready chan struct{} // closed when p and err are set
	p     *Provider
	err   error
}

// Get returns credentials for roleARN, assumed with the long-term keys given, from a
// process-wide Provider shared by every call with the same arguments and options. Repeated
// calls from any goroutine reuse the cached credentials. It is the one-call form, for use
// outside any SDK cache: unlike Retrieve's, the Expires of its answer is the real expiry that
// STS issued, converted to this machine's clock.
//
// Options are told apart by value, after defaults, and TokenProvider by its code, so two
// closures of one function literal count as the same, and MeterProvider and TracerProvider by
// identity. The Logger is not part of the key: a
// shared Provider logs to the Logger of the Get call that made it, so that a per-request
// logger costs no STS call. The STS client comes from config.LoadDefaultConfig, so
// AWS_ENDPOINT_URL_STS and the other SDK settings apply. A Provider is not shared until its
// arguments are valid. Get keeps at most 64 Providers; past that, the least recently used
// one is closed.
func Get(ctx context.Context, accessKeyID, secretAccessKey, roleARN, region string, optFns ...func(*Options)) (aws.Credentials, error) {
	switch {
	case accessKeyID == "":
		return aws.Credentials{}, errors.New("awssts: accessKeyID is empty")
	case secretAccessKey == "":
		return aws.Credentials{}, errors.New("awssts: secretAccessKey is empty")
	case region == "":
		return aws.Credentials{}, errors.New("awssts: region is empty")
	}
	var o Options
	for _, fn := range optFns {
		fn(&o)
	}
	keyed := o.withDefaults() // so that Duration 0 and DefaultDuration share a Provider
	key := sha256.Sum256(fmt.Appendf(nil, "%q %x %q %q %s", accessKeyID, sha256.Sum256([]byte(secretAccessKey)), roleARN, region, optionsKey(keyed)))

	p, err := sharedProvider(ctx, key, sharedArgs{accessKeyID, secretAccessKey, roleARN, region, o})
	if err != nil {
		return aws.Credentials{}, err
	}
	return p.retrieveReal(ctx)
}

// sharedProvider returns the Provider for key, building it on first use.
func sharedProvider(ctx context.Context, key [sha256.Size]byte, a sharedArgs) (*Provider, error) {
	shared.Lock()
	e, found := shared.entries[key]
	if found {
		shared.Unlock()
		select {
		case <-e.ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		var evicted *Provider
		shared.Lock()
		if e.err == nil && shared.entries[key] == e { // not evicted while this caller waited
			evicted = touch(key)
		}
		shared.Unlock()
		if evicted != nil {
			evicted.Close()
		}
		return e.p, e.err
	}
	e = &sharedEntry{ready: make(chan struct{})}
	if shared.entries == nil {
		shared.entries = make(map[[sha256.Size]byte]*sharedEntry)
	}
	shared.entries[key] = e
	shared.Unlock()

	e.p, e.err = buildShared(context.WithoutCancel(ctx), a) // its waiters must not get this caller's cancellation
	close(e.ready)
	var evicted *Provider
	shared.Lock()
	switch {
	case shared.entries[key] != e: // a waiter's touch and a later eviction came first
	case e.err != nil:
		delete(shared.entries, key)
	default:
		evicted = touch(key)
	}
	shared.Unlock()
	if evicted != nil {
		evicted.Close()
	}
	return e.p, e.err
}

// touch makes key the most recently used, and forgets the least recently used key past
// maxShared, returning its Provider for the caller to close. shared must be locked.
func touch(key [sha256.Size]byte) (evicted *Provider) {
	shared.order = append(slices.DeleteFunc(shared.order, func(k [sha256.Size]byte) bool { return k == key }), key)
	if len(shared.order) <= maxShared {
		return nil
	}
	oldest := shared.order[0]
	shared.order = shared.order[1:]
	evicted = shared.entries[oldest].p
	delete(shared.entries, oldest)
	return evicted
}

// sharedArgs are Get's arguments, for buildShared.
type sharedArgs struct {
	accessKeyID, secretAccessKey, roleARN, region string
	o                                             Options
}

// buildShared makes the Provider for Get's arguments; tests replace it.
var buildShared = func(ctx context.Context, a sharedArgs) (*Provider, error) {
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(a.region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(a.accessKeyID, a.secretAccessKey, "")))
	if err != nil {
		return nil, fmt.Errorf("awssts: load SDK config: %w", err)
	}
	return NewFromConfig(cfg, a.roleARN, func(dst *Options) { *dst = a.o })
}

// optionsKey renders o so that equal options give equal keys: pointers by the value they
// point at, TokenProvider by its code. The Logger is left out.
func optionsKey(o Options) string {
	ptr := func(s *string) string {
		if s == nil {
			return "nil"
		}
		return fmt.Sprintf("%q", *s)
	}
	var tokenProvider uintptr
	if o.TokenProvider != nil {
		tokenProvider = reflect.ValueOf(o.TokenProvider).Pointer()
	}
	policyARNs := make([]string, len(o.PolicyARNs))
	for i, a := range o.PolicyARNs {
		policyARNs[i] = ptr(a.Arn)
	}
	tags := make([]string, len(o.Tags))
	for i, t := range o.Tags {
		tags[i] = ptr(t.Key) + "=" + ptr(t.Value)
	}
	return fmt.Sprintf("%q %d %d %t %s %s %s %s %q %q %q %x %q %s %s",
		o.RoleSessionNamePrefix, o.Duration, o.ExpiryWindow, o.Prefetch,
		ptr(o.ExternalID), ptr(o.Policy), ptr(o.SerialNumber), ptr(o.SourceIdentity),
		policyARNs, tags, o.TransitiveTagKeys, tokenProvider, o.FailoverRegions,
		identity(o.MeterProvider), identity(o.TracerProvider))
}

// identity tells two MeterProviders or TracerProviders apart: by address when they are
// references, else by type and value.
func identity(v any) string {
	if v == nil {
		return "nil"
	}
	switch r := reflect.ValueOf(v); r.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Chan, reflect.Func, reflect.UnsafePointer, reflect.Slice:
		return fmt.Sprintf("%T@%x", v, r.Pointer())
	}
	return fmt.Sprintf("%T %#v", v, v)
}

// Env renders creds as KEY=VALUE pairs for exec.Cmd.Env: AWS_REGION and AWS_DEFAULT_REGION, the three credential
// variables and AWS_CREDENTIAL_EXPIRATION (RFC 3339, UTC) from creds.Expires. Empty values are
// left out. Pass credentials from Get, or use Provider.Env: the Expires of Retrieve's answer
// is when to ask again, up to ExpiryWindow before the real expiry.
func Env(creds aws.Credentials, region string) []string {
	var env []string
	add := func(k, v string) {
		if v != "" {
			env = append(env, k+"="+v)
		}
	}
	add("AWS_REGION", region)
	add("AWS_DEFAULT_REGION", region) // botocore and the AWS CLI v1 read only this one
	add("AWS_ACCESS_KEY_ID", creds.AccessKeyID)
	add("AWS_SECRET_ACCESS_KEY", creds.SecretAccessKey)
	add("AWS_SESSION_TOKEN", creds.SessionToken)
	if creds.CanExpire {
		add("AWS_CREDENTIAL_EXPIRATION", creds.Expires.UTC().Format(time.RFC3339))
	}
	return env
}
