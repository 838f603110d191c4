package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/awssts/awssts"
)

// commonFlags are the flags export and exec share.
type commonFlags struct {
	roleARN, region, profile, duration, sessionPrefix string
	externalID, sourceIdentity, mfaSerial, policy     string
}

func (c *commonFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.roleARN, "role-arn", "", "ARN of the role to assume (required)")
	fs.StringVar(&c.region, "region", "", "region of the STS endpoint and AWS_REGION for the child (default: from the environment or profile)")
	fs.StringVar(&c.profile, "profile", "", "profile that holds the source credentials (default: the SDK's default chain)")
	fs.StringVar(&c.duration, "duration", "", "session duration, seconds or a Go duration such as 1h; 900s to 12h (default 1h)")
	fs.StringVar(&c.sessionPrefix, "session-prefix", "", "session name prefix; the Unix time follows it (default "+awssts.DefaultRoleSessionNamePrefix+")")
	fs.StringVar(&c.externalID, "external-id", "", "external ID the role's trust policy asks for")
	fs.StringVar(&c.sourceIdentity, "source-identity", "", "source identity to set on the session")
	fs.StringVar(&c.mfaSerial, "mfa-serial", "", "MFA device ARN; the code is read from the terminal, or else stdin")
	fs.StringVar(&c.policy, "policy", "", "session policy as JSON, or @FILE to read it from a file")
}

// serveWindow is the ExpiryWindow of exec --serve when the Duration allows it: botocore asks
// for new credentials from 15 minutes before expiry, so renewing earlier spares it a round of
// refreshes that would only get the old ones back.
const serveWindow = 16 * time.Minute

// flagFor names the flag behind each field that awssts.New checks, so its errors point at
// what the user typed.
var flagFor = map[string]string{
	"roleARN":               "--role-arn",
	"Duration":              "--duration",
	"RoleSessionNamePrefix": "--session-prefix",
	"ExternalID":            "--external-id",
	"SourceIdentity":        "--source-identity",
	"SerialNumber":          "--mfa-serial",
	"Policy":                "--policy",
}

// provider loads the source configuration and builds a Provider. Anything wrong with the
// flags is a usageError; nothing here calls STS.
func (c *commonFlags) provider(ctx context.Context, s streams, prefetch bool) (*awssts.Provider, aws.Config, error) {
	if c.roleARN == "" {
		return nil, aws.Config{}, usagef("--role-arn is required")
	}
	opts := awssts.Options{RoleSessionNamePrefix: c.sessionPrefix, Prefetch: prefetch, Duration: awssts.DefaultDuration}
	if c.duration != "" {
		d, err := parseDuration(c.duration)
		if err != nil {
			return nil, aws.Config{}, err
		}
		opts.Duration = d
	}
	if prefetch && opts.Duration >= 2*serveWindow {
		opts.ExpiryWindow = serveWindow
	}
	opts.ExternalID = optional(c.externalID)
	opts.SourceIdentity = optional(c.sourceIdentity)
	if c.mfaSerial != "" {
		opts.SerialNumber = aws.String(c.mfaSerial)
		opts.TokenProvider = mfaCode(c.mfaSerial, s)
	}
	if c.policy != "" {
		p, err := readPolicy(c.policy)
		if err != nil {
			return nil, aws.Config{}, err
		}
		opts.Policy = aws.String(p)
	}

	var load []func(*config.LoadOptions) error
	if c.profile != "" {
		load = append(load, config.WithSharedConfigProfile(c.profile))
	}
	if c.region != "" {
		load = append(load, config.WithRegion(c.region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, load...)
	if err != nil && c.profile != "" {
		return nil, aws.Config{}, usagef("--profile %q: %v", c.profile, err)
	}
	if err != nil {
		return nil, aws.Config{}, fmt.Errorf("load the AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return nil, aws.Config{}, usagef("--region is required: no region is set in the environment or the profile")
	}
	p, err := awssts.NewFromConfig(cfg, c.roleARN, func(o *awssts.Options) { *o = opts })
	if err != nil {
		return nil, aws.Config{}, namedFlag(err)
	}
	return p, cfg, nil
}

// namedFlag turns an awssts.New error ("awssts: Duration 1m0s: …") into a usage error that
// starts with the flag ("--duration: Duration 1m0s: …").
func namedFlag(err error) error {
	msg := strings.TrimPrefix(err.Error(), "awssts: ")
	field, _, _ := strings.Cut(msg, " ")
	field = strings.TrimSuffix(field, ":")
	if f, ok := flagFor[field]; ok {
		return usagef("%s: %s", f, msg)
	}
	return usagef("%s", msg)
}

func parseDuration(v string) (time.Duration, error) {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 && n <= 1<<31 {
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d == 0 {
		return 0, usagef("--duration %q: want seconds (3600) or a Go duration (1h), from 900s to 12h", v)
	}
	return d, nil
}

func readPolicy(v string) (string, error) {
	name, isFile := strings.CutPrefix(v, "@")
	if !isFile {
		return v, nil
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return "", usagef("--policy %s: %v", v, err)
	}
	return string(b), nil
}

func optional(v string) *string {
	if v == "" {
		return nil
	}
	return aws.String(v)
}

// openTTY opens the controlling terminal; tests replace it.
var openTTY = defaultOpenTTY

func defaultOpenTTY() (io.ReadWriteCloser, error) { return os.OpenFile("/dev/tty", os.O_RDWR, 0) }

// mfaCode asks for the MFA code on the terminal, or on stdin when there is none. It reads
// stdin a byte at a time, so that what follows the code is left for exec's child.
func mfaCode(serial string, s streams) func() (string, error) {
	return func() (string, error) {
		in, prompt := s.in, s.errOut
		if tty, err := openTTY(); err == nil {
			defer tty.Close()
			in, prompt = tty, tty
		}
		fmt.Fprintf(prompt, "MFA code for %s: ", serial)
		var line []byte
		b := make([]byte, 1)
		for len(line) < 64 {
			n, err := in.Read(b)
			if n == 1 && b[0] == '\n' {
				break
			}
			line = append(line, b[:n]...)
			if err != nil {
				if len(line) == 0 {
					return "", fmt.Errorf("read MFA code: %w", err)
				}
				break
			}
		}
		return strings.TrimSpace(string(line)), nil
	}
}
