package awssts

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/metrics"
	"github.com/aws/smithy-go/tracing"
)

// RolesAnywhereOptions configures NewRolesAnywhere. The zero value of every field means its
// default; Duration, RoleSessionNamePrefix and ExpiryWindow follow the rules of New.
type RolesAnywhereOptions struct {
	// Chain holds the intermediate certificates between the certificate and the trust
	// anchor's CA, sent in X-Amz-X509-Chain. Leave it empty when the CA issued the
	// certificate itself.
	Chain []*x509.Certificate

	// Region is the Roles Anywhere region. "" means the trust anchor ARN's region.
	Region string

	// RoleSessionNamePrefix starts every role session name; the Unix time of the
	// CreateSession call follows it. "" means DefaultRoleSessionNamePrefix. The profile must
	// accept role session names (acceptRoleSessionName).
	RoleSessionNamePrefix string

	// Duration is the durationSeconds asked for: whole seconds from 15 min to 12 h.
	// 0 means DefaultDuration.
	Duration time.Duration

	// ExpiryWindow is how long before the real expiry credentials count as expired and are
	// renewed. 0 means DefaultExpiryWindow. It must be shorter than Duration.
	ExpiryWindow time.Duration

	// Prefetch starts the prefetch goroutine in NewRolesAnywhere, as StartPrefetch does.
	Prefetch bool

	// Logger receives renewals at Debug and failures at Warn. nil means silent. Nothing
	// logged holds key material, a secret or a session token.
	Logger *slog.Logger

	// MeterProvider and TracerProvider, as in Options. nil means none.
	MeterProvider  metrics.MeterProvider
	TracerProvider tracing.TracerProvider

	// HTTPClient sends CreateSession. nil means the SDK's default client.
	HTTPClient aws.HTTPClient

	// BaseEndpoint replaces https://rolesanywhere.REGION.amazonaws.com, for tests and VPC
	// endpoints: scheme and host, and optionally a path.
	BaseEndpoint string
}

// NewRolesAnywhere returns a Provider that gets credentials from IAM Roles Anywhere
// CreateSession, signed with cert and its key (AWS4-X509-RSA-SHA256 or
// AWS4-X509-ECDSA-SHA256), with the session-name and duration rules of New. Any crypto.Signer
// fits, so PKCS#11 and TPM keys plug in; RSA keys sign with PKCS#1 v1.5, and RSA-PSS keys and
// certificates are not supported. It checks every argument and makes no call itself.
func NewRolesAnywhere(cert *x509.Certificate, key crypto.Signer, trustAnchorARN, profileARN, roleARN string, optFns ...func(*RolesAnywhereOptions)) (*Provider, error) {
	var o RolesAnywhereOptions
	for _, fn := range optFns {
		fn(&o)
	}
	anchor, err := parseRolesAnywhereARN("trustAnchorARN", trustAnchorARN, "trust-anchor")
	if err != nil {
		return nil, err
	}
	profile, err := parseRolesAnywhereARN("profileARN", profileARN, "profile")
	if err != nil {
		return nil, err
	}
	if profile.Region != anchor.Region || profile.Partition != anchor.Partition {
		return nil, fmt.Errorf("awssts: profileARN %q is in %s, the trust anchor in %s: both must be in the same region", profileARN, profile.Region, anchor.Region)
	}
	if _, err := parseRoleARN(roleARN); err != nil {
		return nil, err
	}
	alg, err := checkCertificate(cert, key, o.Chain, time.Now())
	if err != nil {
		return nil, err
	}
	common := Options{RoleSessionNamePrefix: o.RoleSessionNamePrefix, Duration: o.Duration, ExpiryWindow: o.ExpiryWindow, Logger: o.Logger}.withDefaults()
	if err := common.validate(maxDuration); err != nil {
		return nil, err
	}
	src := &rolesAnywhere{
		cert: cert, key: key, alg: alg, chain: append([]*x509.Certificate(nil), o.Chain...),
		trustAnchorARN: trustAnchorARN, profileARN: profileARN, roleARN: roleARN,
		region: o.Region, endpoint: o.BaseEndpoint, client: o.HTTPClient, o: common,
		retryer: throttleNotRetried{retry.NewStandard()}, // the engine spreads the next call after throttling
	}
	if src.region == "" {
		src.region = anchor.Region
	}
	if !regionChars.MatchString(src.region) {
		return nil, fmt.Errorf("awssts: Region %q: must be a region name like eu-west-1", src.region)
	}
	if src.endpoint == "" {
		src.endpoint = "https://rolesanywhere." + src.region + "." + dnsSuffix(anchor.Partition)
	} else if u, err := url.Parse(src.endpoint); err != nil || u.Scheme != "https" && u.Scheme != "http" || u.Host == "" || u.RawQuery != "" {
		return nil, fmt.Errorf("awssts: BaseEndpoint %q: must be an http or https URL like https://rolesanywhere.eu-west-1.amazonaws.com", o.BaseEndpoint)
	}
	if src.client == nil {
		src.client = awshttp.NewBuildableClient()
	}
	return newProvider(src, engineOptions{common.ExpiryWindow, common.Logger, o.Prefetch, o.MeterProvider, o.TracerProvider})
}

var regionChars = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// parseRolesAnywhereARN checks that s is a Roles Anywhere ARN of the given resource type.
func parseRolesAnywhereARN(field, s, resource string) (arn.ARN, error) {
	a, err := arn.Parse(s)
	id, ok := strings.CutPrefix(a.Resource, resource+"/")
	if err != nil || a.Service != "rolesanywhere" || !ok || id == "" || a.Region == "" || a.AccountID == "" {
		return arn.ARN{}, fmt.Errorf("awssts: %s %q: must be a Roles Anywhere %s ARN like arn:aws:rolesanywhere:REGION:ACCOUNT:%s/ID", field, s, resource, resource)
	}
	return a, nil
}

// checkCertificate checks that cert is valid at now, that key is its private key, and that
// the key is one Roles Anywhere signs with; it returns the signing algorithm.
func checkCertificate(cert *x509.Certificate, key crypto.Signer, chain []*x509.Certificate, now time.Time) (string, error) {
	switch {
	case cert == nil:
		return "", errors.New("awssts: cert is nil: pass the X.509 certificate that the trust anchor's CA issued")
	case key == nil:
		return "", errors.New("awssts: key is nil: pass the certificate's private key as a crypto.Signer")
	}
	var alg string
	switch cert.PublicKey.(type) {
	case *rsa.PublicKey:
		alg = x509RSA
	case *ecdsa.PublicKey:
		alg = x509ECDSA
	default:
		return "", fmt.Errorf("awssts: cert: its %v key is not supported: Roles Anywhere signs with RSA (PKCS#1 v1.5) or ECDSA keys; RSA-PSS keys are not supported", cert.PublicKeyAlgorithm)
	}
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(cert.PublicKey) {
		return "", fmt.Errorf("awssts: key: its %T public key does not match the certificate's (serial %s): pass the private key of that certificate", key.Public(), cert.SerialNumber)
	}
	if cert.IsCA || cert.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		return "", fmt.Errorf("awssts: cert (serial %s): must be an end-entity certificate (CA:false) with the Digital Signature key usage, as Roles Anywhere requires", cert.SerialNumber)
	}
	if err := checkValidity("cert", cert, now); err != nil {
		return "", err
	}
	for i, c := range chain {
		if c == nil {
			return "", fmt.Errorf("awssts: Chain[%d] is nil", i)
		}
	}
	return alg, nil
}

// checkValidity says when a certificate outside its validity period was, or will be, valid.
func checkValidity(field string, cert *x509.Certificate, now time.Time) error {
	switch {
	case now.After(cert.NotAfter):
		return fmt.Errorf("awssts: %s (serial %s) expired at %s: renew it with its CA", field, cert.SerialNumber, cert.NotAfter.UTC().Format(time.RFC3339))
	case now.Before(cert.NotBefore):
		return fmt.Errorf("awssts: %s (serial %s) is not valid until %s: check this machine's clock", field, cert.SerialNumber, cert.NotBefore.UTC().Format(time.RFC3339))
	}
	return nil
}

func dnsSuffix(partition string) string {
	if partition == "aws-cn" {
		return "amazonaws.com.cn"
	}
	return "amazonaws.com"
}

// rolesAnywhere is the CreateSession source.
type rolesAnywhere struct {
	cert  *x509.Certificate
	key   crypto.Signer
	alg   string
	chain []*x509.Certificate

	trustAnchorARN, profileARN, roleARN string
	region, endpoint                    string
	client                              aws.HTTPClient
	retryer                             aws.RetryerV2
	skew                                atomic.Int64 // the service's clock minus ours, for the signing time
	o                                   Options
}

func (s *rolesAnywhere) action() string { return "CreateSession" }

func (s *rolesAnywhere) String() string {
	return fmt.Sprintf("Roles Anywhere CreateSession %s, profile %s, certificate serial %s, Duration: %v", s.roleARN, s.profileARN, s.cert.SerialNumber, s.o.Duration)
}

func (s *rolesAnywhere) credentialSources() []aws.CredentialSource { return nil }

// fetch makes one CreateSession call, retried as the SDK retries. An expired certificate is
// an error without a call.
func (s *rolesAnywhere) fetch(ctx context.Context) (answer, error) {
	if err := checkValidity("cert", s.cert, time.Now()); err != nil {
		return answer{}, fmt.Errorf("awssts: %s: %w", s, err)
	}
	out, md, err := s.createSession(ctx, sessionName(s.o.RoleSessionNamePrefix, time.Now()))
	if err != nil {
		return answer{}, s.explain(err)
	}
	creds, err := out.credentials()
	if err != nil {
		return answer{}, fmt.Errorf("awssts: %s: %w", s, err)
	}
	return answer{creds, ResponseClockSkew(md), s.region, s.o.Duration}, nil
}

// explain wraps a CreateSession error, keeping it reachable by errors.As, and says what the
// refusals of Roles Anywhere mean.
func (s *rolesAnywhere) explain(err error) error {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode() == "AccessDeniedException" {
		msg := apiErr.ErrorMessage()
		switch {
		case strings.Contains(msg, "Untrusted"):
			return fmt.Errorf("awssts: %s: the certificate is not trusted: Roles Anywhere could not build a chain from it to the CA of trust anchor %s; pass the intermediates in Chain, or check the anchor's CA and that the certificate is neither expired nor revoked: %w",
				s, s.trustAnchorARN, err)
		case strings.Contains(msg, "roleSessionName"):
			return fmt.Errorf("awssts: %s: profile %s does not accept role session names: enable acceptRoleSessionName on it (aws rolesanywhere update-profile --accept-role-session-name): %w",
				s, s.profileARN, err)
		}
		return fmt.Errorf("awssts: %s: access denied (%s): check that profile %s lists the role, that the role's trust policy allows rolesanywhere.amazonaws.com with this certificate's attributes, and that profile and trust anchor are enabled: %w",
			s, msg, s.profileARN, err)
	}
	return fmt.Errorf("awssts: %s: %w", s, err)
}
