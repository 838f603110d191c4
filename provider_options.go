package awssts

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go/metrics"
	"github.com/aws/smithy-go/tracing"
)

// Options configures a Provider. The zero value of every field means its default, so
// New(client, roleARN) alone follows the rules table in the README.
type Options struct {
	// RoleSessionNamePrefix starts every session name; the Unix time of the AssumeRole call
	// follows it. "" means DefaultRoleSessionNamePrefix.
	RoleSessionNamePrefix string

	// Duration is the DurationSeconds asked of STS: whole seconds from 15 min to 12 h.
	// 0 means DefaultDuration.
	Duration time.Duration

	// ExpiryWindow is how long before the real expiry credentials count as expired and are
	// refreshed. 0 means DefaultExpiryWindow. It must be shorter than Duration.
	ExpiryWindow time.Duration

	// Prefetch starts the prefetch goroutine in New, as StartPrefetch does.
	Prefetch bool

	// Passed through to AssumeRole unchanged.
	ExternalID, Policy, SerialNumber, SourceIdentity *string
	PolicyARNs                                       []types.PolicyDescriptorType
	Tags                                             []types.Tag
	TransitiveTagKeys                                []string

	// TokenProvider returns the MFA code for SerialNumber. It is called at each AssumeRole,
	// prefetches included.
	TokenProvider func() (string, error)

	// Logger receives refreshes at Debug and failures at Warn. nil means silent.
	Logger *slog.Logger

	// FailoverRegions are asked in order when the client's own region fails with a server
	// fault, throttling, a timeout or a connection error; never after the service refused.
	// Their clients are derived from the client's options with only Region changed, so it
	// must be an *sts.Client without BaseEndpoint. See failover.go for when the client's own
	// region is asked again.
	FailoverRegions []string

	// MeterProvider and TracerProvider receive the Provider's metrics and an awssts.refresh
	// span around each source call (see the README's Observability section), through the
	// interfaces SDK clients take. nil means none, at no cost.
	MeterProvider  metrics.MeterProvider
	TracerProvider tracing.TracerProvider
}

// engine is what o gives the engine, after withDefaults.
func (o Options) engine() engineOptions {
	return engineOptions{o.ExpiryWindow, o.Logger, o.Prefetch, o.MeterProvider, o.TracerProvider}
}

// The limits STS itself enforces on AssumeRole, checked in New so that bad input never
// costs a round trip.
const (
	minDuration          = 900 * time.Second
	maxDuration          = 43200 * time.Second
	maxSessionNameLen    = 64
	maxPrefixLen         = maxSessionNameLen - 10 // room for Unix seconds until the year 2286
	maxPolicyLen         = 2048
	maxPolicyARNs        = 10
	maxTags              = 50
	maxTransitiveTagKeys = 50
)

var (
	sessionNameChars  = regexp.MustCompile(`^[\w+=,.@-]*$`)
	externalIDChars   = regexp.MustCompile(`^[\w+=,.@:/-]*$`)
	serialNumberChars = regexp.MustCompile(`^[\w+=/:,.@-]*$`)
	tagChars          = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
)

const sessionNameRuleText = "letters, digits and +=,.@_-"

// applyOptions applies optFns to the zero Options and copies what the result points at.
func applyOptions(optFns []func(*Options)) Options {
	var o Options
	for _, fn := range optFns {
		fn(&o)
	}
	return o.clone()
}

// newOptions is applyOptions, then the defaults, validated for AssumeRole.
func newOptions(optFns []func(*Options)) (Options, error) {
	o := applyOptions(optFns).withDefaults()
	return o, o.validate(maxDuration)
}

// reject names the first of fields that o sets, which action does not take.
func (o Options) reject(action string, fields ...string) error {
	set := map[string]bool{
		"RoleSessionNamePrefix": o.RoleSessionNamePrefix != "",
		"ExternalID":            o.ExternalID != nil,
		"Policy":                o.Policy != nil,
		"PolicyARNs":            len(o.PolicyARNs) > 0,
		"SerialNumber":          o.SerialNumber != nil,
		"TokenProvider":         o.TokenProvider != nil,
		"SourceIdentity":        o.SourceIdentity != nil,
		"Tags":                  len(o.Tags) > 0,
		"TransitiveTagKeys":     len(o.TransitiveTagKeys) > 0,
	}
	for _, f := range fields {
		if set[f] {
			return fmt.Errorf("awssts: Options.%s is set, but %s does not take it: leave it unset", f, action)
		}
	}
	return nil
}

// withDefaults returns o with every zero field set to its default.
func (o Options) withDefaults() Options {
	if o.RoleSessionNamePrefix == "" {
		o.RoleSessionNamePrefix = DefaultRoleSessionNamePrefix
	}
	if o.Duration == 0 {
		o.Duration = DefaultDuration
	}
	if o.ExpiryWindow == 0 {
		o.ExpiryWindow = DefaultExpiryWindow
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// clone copies what o points at, so that a caller changing its own values after New can
// neither bypass validation nor race with an AssumeRole call.
func (o Options) clone() Options {
	o.ExternalID, o.Policy = clonePtr(o.ExternalID), clonePtr(o.Policy)
	o.SerialNumber, o.SourceIdentity = clonePtr(o.SerialNumber), clonePtr(o.SourceIdentity)
	o.PolicyARNs = slices.Clone(o.PolicyARNs)
	for i := range o.PolicyARNs {
		o.PolicyARNs[i].Arn = clonePtr(o.PolicyARNs[i].Arn)
	}
	o.Tags = slices.Clone(o.Tags)
	for i := range o.Tags {
		o.Tags[i].Key, o.Tags[i].Value = clonePtr(o.Tags[i].Key), clonePtr(o.Tags[i].Value)
	}
	o.TransitiveTagKeys = slices.Clone(o.TransitiveTagKeys)
	o.FailoverRegions = slices.Clone(o.FailoverRegions)
	return o
}

func clonePtr(s *string) *string {
	if s == nil {
		return nil
	}
	v := *s
	return &v
}

// validate checks o, after withDefaults, against the rules table and STS's own limits, with
// Duration up to maxDur. Messages name the field and the allowed range, and never echo a value
// that may be private.
func (o Options) validate(maxDur time.Duration) error {
	if n := len(o.RoleSessionNamePrefix); n > maxPrefixLen {
		return fmt.Errorf("awssts: RoleSessionNamePrefix %q is %d characters: at most %d are allowed, so that the session name stays within %d", o.RoleSessionNamePrefix, n, maxPrefixLen, maxSessionNameLen)
	}
	if !sessionNameChars.MatchString(o.RoleSessionNamePrefix) {
		return fmt.Errorf("awssts: RoleSessionNamePrefix %q: only %s are allowed", o.RoleSessionNamePrefix, sessionNameRuleText)
	}
	if o.Duration%time.Second != 0 || o.Duration < minDuration || o.Duration > maxDur {
		return fmt.Errorf("awssts: Duration %v: must be whole seconds from %v (900 s) to %v (%d s)", o.Duration, minDuration, maxDur, maxDur/time.Second)
	}
	if o.ExpiryWindow <= 0 || o.ExpiryWindow >= o.Duration {
		return fmt.Errorf("awssts: ExpiryWindow %v: must be more than 0 and less than Duration (%v)", o.ExpiryWindow, o.Duration)
	}
	if err := checkString("ExternalID", o.ExternalID, 2, 1224, externalIDChars, false); err != nil {
		return err
	}
	if err := checkString("SerialNumber", o.SerialNumber, 9, 256, serialNumberChars, true); err != nil {
		return err
	}
	if o.SerialNumber != nil && o.TokenProvider == nil {
		return fmt.Errorf("awssts: SerialNumber is set but TokenProvider is nil: set TokenProvider to supply the MFA code")
	}
	if o.TokenProvider != nil && o.SerialNumber == nil {
		return fmt.Errorf("awssts: TokenProvider is set but SerialNumber is nil: set SerialNumber to the MFA device's ARN, or the TokenProvider is never asked")
	}
	if err := checkString("SourceIdentity", o.SourceIdentity, 2, 64, sessionNameChars, true); err != nil {
		return err
	}
	if err := checkPolicy(o.Policy); err != nil {
		return err
	}
	if len(o.PolicyARNs) > maxPolicyARNs {
		return fmt.Errorf("awssts: PolicyARNs has %d entries: at most %d are allowed", len(o.PolicyARNs), maxPolicyARNs)
	}
	for i, p := range o.PolicyARNs {
		if p.Arn == nil || !arn.IsARN(*p.Arn) {
			return fmt.Errorf("awssts: PolicyARNs[%d]: must be a policy ARN like arn:aws:iam::aws:policy/ReadOnlyAccess", i)
		}
	}
	return checkTags(o.Tags, o.TransitiveTagKeys)
}

// checkString checks an optional string field's length and characters. Values that may be
// private (show == false) are described by their length only.
func checkString(field string, v *string, minLen, maxLen int, chars *regexp.Regexp, show bool) error {
	if v == nil {
		return nil
	}
	shown := fmt.Sprintf("(%d characters)", len(*v))
	if show {
		shown = fmt.Sprintf("%q", *v)
	}
	if len(*v) < minLen || len(*v) > maxLen {
		return fmt.Errorf("awssts: %s %s: must be %d to %d characters", field, shown, minLen, maxLen)
	}
	if !chars.MatchString(*v) {
		return fmt.Errorf("awssts: %s %s: has a character outside %s", field, shown, chars)
	}
	return nil
}

func checkPolicy(p *string) error {
	if p == nil {
		return nil
	}
	if n := len(*p); n < 1 || n > maxPolicyLen {
		return fmt.Errorf("awssts: Policy is %d characters: must be 1 to %d", n, maxPolicyLen)
	}
	if !json.Valid([]byte(*p)) {
		return fmt.Errorf("awssts: Policy: must be a JSON policy document")
	}
	return nil
}

func checkTags(tags []types.Tag, transitive []string) error {
	if len(tags) > maxTags {
		return fmt.Errorf("awssts: Tags has %d entries: at most %d are allowed", len(tags), maxTags)
	}
	for i, t := range tags {
		if t.Key == nil || len(*t.Key) < 1 || len(*t.Key) > 128 || !tagChars.MatchString(*t.Key) {
			return fmt.Errorf("awssts: Tags[%d].Key: must be 1 to 128 letters, digits, spaces or _.:/=+-@", i)
		}
		if t.Value == nil || len(*t.Value) > 256 || !tagChars.MatchString(*t.Value) {
			return fmt.Errorf("awssts: Tags[%d].Value: must be 0 to 256 letters, digits, spaces or _.:/=+-@", i)
		}
	}
	if len(transitive) > maxTransitiveTagKeys {
		return fmt.Errorf("awssts: TransitiveTagKeys has %d entries: at most %d are allowed", len(transitive), maxTransitiveTagKeys)
	}
	for i, k := range transitive {
		if len(k) < 1 || len(k) > 128 {
			return fmt.Errorf("awssts: TransitiveTagKeys[%d]: must be 1 to 128 characters", i)
		}
	}
	return nil
}

// parseRoleARN checks that s is an IAM role ARN and returns it parsed.
func parseRoleARN(s string) (arn.ARN, error) {
	a, err := arn.Parse(s)
	if err != nil || a.Service != "iam" || !strings.HasPrefix(a.Resource, "role/") || len(a.Resource) == len("role/") {
		return arn.ARN{}, fmt.Errorf("awssts: roleARN %q: must be an IAM role ARN like arn:aws:iam::123456789012:role/NAME", s)
	}
	return a, nil
}
