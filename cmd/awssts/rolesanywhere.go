package main

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"flag"
	"log/slog"
	"net/url"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/awssts/awssts"
	"github.com/awssts/awssts/internal/credcache"
)

// rolesAnywhereEndpointVariable replaces https://rolesanywhere.REGION.amazonaws.com, as
// AWS_ENDPOINT_URL_STS replaces STS's endpoint: the SDK's name for the service's endpoint
// variable, for VPC endpoints and tests. AWS_ENDPOINT_URL applies when it is unset.
const rolesAnywhereEndpointVariable = "AWS_ENDPOINT_URL_ROLESANYWHERE"

// rolesAnywhereFlags are the flags of the Roles Anywhere source.
type rolesAnywhereFlags struct {
	certificate, privateKey, intermediates string
	trustAnchorARN, profileARN             string
}

func (r *rolesAnywhereFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&r.certificate, "certificate", "", "Roles Anywhere: PEM file of the X.509 certificate (further certificates in it count as intermediates)")
	fs.StringVar(&r.privateKey, "private-key", "", "Roles Anywhere: PEM file of the certificate's unencrypted key: PKCS#8, PKCS#1 or SEC1, RSA or ECDSA")
	fs.StringVar(&r.intermediates, "intermediates", "", "Roles Anywhere: PEM file of the intermediate CA certificates, if the trust anchor's CA did not issue the certificate itself")
	fs.StringVar(&r.trustAnchorARN, "trust-anchor-arn", "", "Roles Anywhere: ARN of the trust anchor")
	fs.StringVar(&r.profileARN, "profile-arn", "", "Roles Anywhere: ARN of the profile that allows --role-arn")
}

func (r *rolesAnywhereFlags) set() bool {
	return *r != rolesAnywhereFlags{}
}

// rolesAnywhereFlagNames name the flag behind each field that NewRolesAnywhere checks.
var rolesAnywhereFlagNames = map[string]string{
	"cert": "--certificate", "key": "--private-key", "Chain": "--intermediates",
	"trustAnchorARN": "--trust-anchor-arn", "profileARN": "--profile-arn", "roleARN": "--role-arn",
	"Duration": "--duration", "RoleSessionNamePrefix": "--session-prefix", "Region": "--region",
	"BaseEndpoint": rolesAnywhereEndpointVariable,
}

// buildRolesAnywhere is build for a certificate: Roles Anywhere CreateSession is the source,
// through the cache unless --no-cache.
func (c *commonFlags) buildRolesAnywhere(ctx context.Context, s streams, long bool) (*roleCredentials, error) {
	ra := &c.ra
	if err := c.onlyRolesAnywhereFlags(); err != nil {
		return nil, err
	}
	for _, f := range []struct{ name, v string }{{"--certificate", ra.certificate}, {"--private-key", ra.privateKey},
		{"--trust-anchor-arn", ra.trustAnchorARN}, {"--profile-arn", ra.profileARN}} {
		if f.v == "" {
			return nil, usagef("%s is required for Roles Anywhere (with --certificate, --private-key, --trust-anchor-arn, --profile-arn and --role-arn)", f.name)
		}
	}
	opts, _, err := c.options()
	if err != nil {
		return nil, err
	}
	certs, err := readCertificates("--certificate", ra.certificate)
	if err != nil {
		return nil, err
	}
	chain := certs[1:]
	if ra.intermediates != "" {
		more, err := readCertificates("--intermediates", ra.intermediates)
		if err != nil {
			return nil, err
		}
		chain = append(chain, more...)
	}
	key, err := readPrivateKey(ra.privateKey, s.errOut)
	if err != nil {
		return nil, err
	}
	endpoint, err := rolesAnywhereEndpoint()
	if err != nil {
		return nil, err
	}
	var logger *slog.Logger
	if long {
		logger = slog.New(slog.NewTextHandler(s.errOut, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	inner, err := awssts.NewRolesAnywhere(certs[0], key, ra.trustAnchorARN, ra.profileARN, c.roleARN, func(o *awssts.RolesAnywhereOptions) {
		o.Chain, o.Region, o.BaseEndpoint = chain, c.region, endpoint
		o.Duration, o.RoleSessionNamePrefix, o.ExpiryWindow, o.Logger = opts.Duration, opts.RoleSessionNamePrefix, opts.ExpiryWindow, logger
	})
	if err != nil {
		return nil, namedFlag(err, rolesAnywhereFlagNames)
	}
	region := c.region
	if region == "" {
		a, _ := arn.Parse(ra.trustAnchorARN) // NewRolesAnywhere parsed it
		region = a.Region
	}
	src, err := credcache.Identify(ctx, "") // for the files that exec --serve and serve shadow
	if err != nil {
		return nil, err
	}
	cached := &cachedSource{inner: inner, window: opts.ExpiryWindow,
		about: credcache.Entry{Action: "CreateSession", RoleARN: c.roleARN}}
	if !c.noCache {
		cached.cache = newCache(s)
		cached.key = credcache.Key{Action: "CreateSession", Source: certificateID(certs[0], chain), Region: region, Endpoint: endpoint,
			RoleARN: c.roleARN, SessionPrefix: opts.RoleSessionNamePrefix, Duration: opts.Duration,
			TrustAnchorARN: ra.trustAnchorARN, ProfileARN: ra.profileARN}.Hash()
	}
	if long {
		cached.logger = slog.New(slog.NewTextHandler(s.errOut, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	p, err := awssts.Wrap(cached, func(o *awssts.WrapOptions) { o.ExpiryWindow, o.Prefetch, o.Logger = opts.ExpiryWindow, long, logger })
	if err != nil {
		inner.Close()
		return nil, err
	}
	return &roleCredentials{Provider: p, cfg: aws.Config{Region: region}, src: src, inner: inner}, nil
}

// onlyRolesAnywhereFlags refuses the flags that configure an AssumeRole, which CreateSession
// does not take.
func (c *commonFlags) onlyRolesAnywhereFlags() error {
	for _, f := range []struct {
		name string
		set  bool
	}{{"--profile", c.profile != ""}, {"--external-id", c.externalID != ""}, {"--source-identity", c.sourceIdentity != ""},
		{"--mfa-serial", c.mfaSerial != ""}, {"--mfa-duration", c.mfaDuration != ""}, {"--policy", c.policy != ""},
		{"--failover-region", len(c.failoverRegions) > 0}} {
		if f.set {
			return usagef("%s does not apply to Roles Anywhere (--certificate): CreateSession takes no such parameter", f.name)
		}
	}
	return nil
}

// rolesAnywhereEndpoint is the endpoint from the environment, "" for the service's own.
func rolesAnywhereEndpoint() (string, error) {
	name := rolesAnywhereEndpointVariable
	v := os.Getenv(name)
	if v == "" {
		name, v = "AWS_ENDPOINT_URL", os.Getenv("AWS_ENDPOINT_URL")
	}
	if v == "" {
		return "", nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || strings.ContainsAny(v, " \t\r\n") {
		return "", usagef("%s %.200q: want an http:// or https:// URL", name, v)
	}
	return v, nil
}

// certificateID is the certificate's SHA-256 fingerprint and its chain's, in order.
func certificateID(cert *x509.Certificate, chain []*x509.Certificate) string {
	id := "x509 " + fingerprint(cert)
	for _, c := range chain {
		id += " " + fingerprint(c)
	}
	return id
}

func fingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return "sha256:" + hex.EncodeToString(sum[:])
}
