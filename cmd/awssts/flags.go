package main

import (
	"flag"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/awssts/awssts"
	"github.com/awssts/awssts/internal/credcache"
)

// commonFlags are the flags export, exec and serve share.
type commonFlags struct {
	roleARN, region, profile, duration, sessionPrefix string
	externalID, sourceIdentity, mfaSerial, policy     string
	mfaDuration                                       string
	failoverRegions                                   regionList
	noCache                                           bool
	ra                                                rolesAnywhereFlags
}

func (c *commonFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.roleARN, "role-arn", "", "ARN of the role to assume (required)")
	fs.StringVar(&c.region, "region", "", "region of the STS endpoint and AWS_REGION for the child (default: from the environment or profile)")
	fs.StringVar(&c.profile, "profile", "", "profile that holds the source credentials (default: the SDK's default chain)")
	fs.StringVar(&c.duration, "duration", "", "session duration, seconds or a Go duration such as 1h; 900s to 12h (default 1h)")
	fs.StringVar(&c.sessionPrefix, "session-prefix", "", "session name prefix; the Unix time follows it (default "+awssts.DefaultRoleSessionNamePrefix+")")
	fs.StringVar(&c.externalID, "external-id", "", "external ID the role's trust policy asks for")
	fs.StringVar(&c.sourceIdentity, "source-identity", "", "source identity to set on the session")
	fs.StringVar(&c.mfaSerial, "mfa-serial", "", "MFA device ARN (arn:aws:iam::ACCOUNT:mfa/NAME) or hardware serial number: one code, read from the terminal, starts an MFA session that the role is assumed with")
	fs.StringVar(&c.mfaDuration, "mfa-duration", "", "MFA session duration, 900s to 36h (default "+awssts.DefaultSessionTokenDuration.String()+"); needs --mfa-serial")
	fs.StringVar(&c.policy, "policy", "", "session policy as JSON, or @FILE to read it from a file")
	fs.Var(&c.failoverRegions, "failover-region", "region whose STS is asked when the region's fails with an outage; repeat it (or separate with commas) for more, asked in order")
	c.ra.register(fs)
	fs.BoolVar(&c.noCache, "no-cache", false, "neither read nor write the credential cache ($"+credcache.DirVariable+", else the user cache directory)")
}

// serveWindow is the ExpiryWindow when the Duration allows it, and how long before the real
// expiry the cache stops serving an entry: botocore asks for new credentials from 15 minutes
// before expiry, so renewing earlier spares it a round of refreshes that would only get the
// old ones back, and a credential_process consumer never gets keys it would call again for.
const serveWindow = 16 * time.Minute

// refreshWindow is the ExpiryWindow for a session of duration d.
func refreshWindow(d time.Duration) time.Duration {
	if d >= 2*serveWindow {
		return serveWindow
	}
	return awssts.DefaultExpiryWindow
}

// roleFlags and sessionFlags name the flag behind each field that awssts.New and
// awssts.NewSessionToken check, so their errors point at what the user typed.
var (
	roleFlags = map[string]string{
		"roleARN":               "--role-arn",
		"Duration":              "--duration",
		"RoleSessionNamePrefix": "--session-prefix",
		"ExternalID":            "--external-id",
		"SourceIdentity":        "--source-identity",
		"Policy":                "--policy",
	}
	sessionFlags = map[string]string{
		"Duration":     "--mfa-duration",
		"SerialNumber": "--mfa-serial",
	}
)

// namedFlag turns an awssts error ("awssts: Duration 1m0s: …") into a usage error that
// starts with the flag ("--duration: Duration 1m0s: …").
func namedFlag(err error, flags map[string]string) error {
	msg := strings.TrimPrefix(err.Error(), "awssts: ")
	field, _, _ := strings.Cut(msg, " ")
	field = strings.TrimSuffix(field, ":")
	if strings.HasPrefix(field, "FailoverRegions") {
		return failoverFlag(err)
	}
	if f, ok := flags[field]; ok {
		return usagef("%s: %s", f, msg)
	}
	return usagef("%s", msg)
}

func parseDuration(name, v, limits string) (time.Duration, error) {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 && n <= 1<<31 {
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d == 0 {
		return 0, usagef("%s %q: want seconds (3600) or a Go duration (1h), %s", name, v, limits)
	}
	return d, nil
}

// regionList is a repeatable flag; commas also separate its values, so that its String
// sets it again in one Set.
type regionList []string

func (l *regionList) String() string { return strings.Join(*l, ",") }

func (l *regionList) Set(v string) error {
	*l = append(*l, strings.Split(v, ",")...)
	return nil
}

func optional(v string) *string {
	if v == "" {
		return nil
	}
	return aws.String(v)
}
