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

// shared holds the Providers made by Get, one for each distinct set of arguments, the most
// recently used last.
var shared struct {
	sync.Mutex
	providers map[[sha256.Size]byte]*Provider
	order     [][sha256.Size]byte
}

// Get returns credentials for roleARN, assumed with the long-term keys given, from a
// process-wide Provider shared by every call with the same arguments and options. Repeated
// calls from any goroutine reuse the cached credentials.
//
// Options are told apart by value, after defaults, and TokenProvider by its code, so two
// closures of one function literal count as the same. The Logger is not part of the key: a
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

	p, evicted, err := sharedProvider(ctx, key, accessKeyID, secretAccessKey, roleARN, region, o)
	if evicted != nil {
		evicted.Close()
	}
	if err != nil {
		return aws.Credentials{}, err
	}
	return p.Retrieve(ctx)
}

// sharedProvider returns the Provider for key, making it on first use, and the one it evicted
// for it, to be closed once the lock is released. The lock is held while it is made, so that
// two first calls cannot both start one.
func sharedProvider(ctx context.Context, key [sha256.Size]byte, accessKeyID, secretAccessKey, roleARN, region string, o Options) (p, evicted *Provider, err error) {
	shared.Lock()
	defer shared.Unlock()
	if found, ok := shared.providers[key]; ok {
		shared.order = append(slices.DeleteFunc(shared.order, func(k [sha256.Size]byte) bool { return k == key }), key)
		return found, nil, nil
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(accessKeyID, secretAccessKey, "")))
	if err != nil {
		return nil, nil, fmt.Errorf("awssts: load SDK config: %w", err)
	}
	p, err = NewFromConfig(cfg, roleARN, func(dst *Options) { *dst = o })
	if err != nil {
		return nil, nil, err
	}
	if shared.providers == nil {
		shared.providers = make(map[[sha256.Size]byte]*Provider)
	}
	if len(shared.order) == maxShared {
		oldest := shared.order[0]
		shared.order = shared.order[1:]
		evicted = shared.providers[oldest]
		delete(shared.providers, oldest)
	}
	shared.providers[key] = p
	shared.order = append(shared.order, key)
	return p, evicted, nil
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
	return fmt.Sprintf("%q %d %d %t %s %s %s %s %q %q %q %x %q",
		o.RoleSessionNamePrefix, o.Duration, o.ExpiryWindow, o.Prefetch,
		ptr(o.ExternalID), ptr(o.Policy), ptr(o.SerialNumber), ptr(o.SourceIdentity),
		policyARNs, tags, o.TransitiveTagKeys, tokenProvider, o.FailoverRegions)
}

// Env renders creds as KEY=VALUE pairs for exec.Cmd.Env: AWS_REGION, the three credential
// variables and AWS_CREDENTIAL_EXPIRATION (RFC 3339, UTC). Empty values are left out.
func Env(creds aws.Credentials, region string) []string {
	var env []string
	add := func(k, v string) {
		if v != "" {
			env = append(env, k+"="+v)
		}
	}
	add("AWS_REGION", region)
	add("AWS_ACCESS_KEY_ID", creds.AccessKeyID)
	add("AWS_SECRET_ACCESS_KEY", creds.SecretAccessKey)
	add("AWS_SESSION_TOKEN", creds.SessionToken)
	if creds.CanExpire {
		add("AWS_CREDENTIAL_EXPIRATION", creds.Expires.UTC().Format(time.RFC3339))
	}
	return env
}
