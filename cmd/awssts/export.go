package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/awssts/awssts"
	"github.com/awssts/awssts/internal/credserver"
)

const exportUsage = `Usage: awssts export --format FORMAT --role-arn ARN [flags]

Prints the role's temporary credentials. FORMAT is one of process (credential_process
JSON, the default), env, env-no-export, powershell, windows-cmd or fish; the shell formats
print what 'aws configure export-credentials' prints. Expiration is the real STS expiry.

The credentials come from the cache while they are more than the refresh window (16 min
when the duration allows) from expiry, with no network call; otherwise one process assumes
the role and the others wait for it. --no-cache skips the cache.

Examples:
  # ~/.aws/config: name the source profile, or awssts would load 'app' and so run itself
  [profile app]
  credential_process = awssts export --format process --profile source --role-arn arn:aws:iam::123456789012:role/app

  # IAM Roles Anywhere: a certificate and its key instead of source credentials
  credential_process = awssts export --format process --certificate host.pem --private-key host.key --trust-anchor-arn arn:aws:rolesanywhere:eu-west-1:123456789012:trust-anchor/TA --profile-arn arn:aws:rolesanywhere:eu-west-1:123456789012:profile/P --role-arn arn:aws:iam::123456789012:role/app

  eval "$(awssts export --format env --role-arn arn:aws:iam::123456789012:role/app)"
  awssts export --format fish --role-arn arn:aws:iam::123456789012:role/app --duration 2h | source

Flags:
`

// credentialProcess is the JSON that credential_process consumers read.
type credentialProcess struct {
	Version         int
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string
	SessionToken    string `json:",omitempty"`
	Expiration      string `json:",omitempty"`
	AccountID       string `json:"AccountId,omitempty"`
}

// shells print KEY=VALUE pairs as assignments in the syntax of each shell --format.
var shells = map[string]func(io.Writer, []string) error{
	"env":           assignments("export %s=%s\n", posixQuote),
	"env-no-export": assignments("%s=%s\n", posixQuote),
	"fish":          assignments("set -gx %s %s\n", fishQuote),
	"powershell":    assignments("$Env:%s=%s\n", powershellQuote),
	"windows-cmd":   assignments("set %s=%s\n", cmdQuote),
}

// unsets print the removal of environment variables in the syntax of each shell --format.
var unsets = map[string]func(io.Writer, []string) error{
	"env":           unsetLines("unset %s\n"),
	"env-no-export": unsetLines("%s=\n"),
	"fish":          unsetLines("set -e %s\n"),
	"powershell":    unsetLines("Remove-Item Env:%s -ErrorAction SilentlyContinue\n"),
	"windows-cmd":   unsetLines("set %s=\n"),
}

func unsetLines(line string) func(io.Writer, []string) error {
	return func(w io.Writer, names []string) error {
		var b strings.Builder
		for _, n := range names {
			fmt.Fprintf(&b, line, n)
		}
		_, err := io.WriteString(w, b.String())
		return err
	}
}

// formats renders credentials, with Expires set to the real expiry, in each --format: the
// shells print the variables of awssts.Env, as 'aws configure export-credentials' does.
var formats = func() map[string]func(io.Writer, aws.Credentials) error {
	m := map[string]func(io.Writer, aws.Credentials) error{"process": writeProcess}
	for name, write := range shells {
		m[name] = func(w io.Writer, c aws.Credentials) error { return write(w, awssts.Env(c, "")) }
	}
	return m
}()

func formatNames[V any](m map[string]V) string {
	return strings.Join(slices.Sorted(maps.Keys(m)), ", ")
}

func runExport(ctx context.Context, args []string, s streams) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	var c commonFlags
	c.register(fs)
	format := fs.String("format", "process", "output format: "+formatNames(formats))
	if err := parseFlags(fs, args, s, exportUsage); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("export takes no arguments, got %q", fs.Arg(0))
	}
	render, ok := formats[*format]
	if !ok {
		return usagef("--format %q: want one of %s", *format, formatNames(formats))
	}
	r, err := c.build(ctx, s, false)
	if err != nil {
		return err
	}
	defer r.Close()
	creds, err := r.Retrieve(ctx)
	if err != nil {
		return err
	}
	creds.Expires = realExpiry(r.Provider, creds)
	return render(s.out, creds)
}

// realExpiry is the STS expiry of creds. Retrieve reports when they will be refreshed; Stats
// has the real time, and the key ID tells whether both describe the same credentials.
func realExpiry(p *awssts.Provider, creds aws.Credentials) time.Time {
	return credserver.RealExpiry(p, creds)
}

func expiration(c aws.Credentials) string {
	if !c.CanExpire {
		return ""
	}
	return c.Expires.UTC().Format(time.RFC3339)
}

func writeProcess(w io.Writer, c aws.Credentials) error {
	for name, v := range map[string]string{"AccessKeyId": c.AccessKeyID, "SecretAccessKey": c.SecretAccessKey, "SessionToken": c.SessionToken} {
		if err := checkValue(v); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	b, err := json.MarshalIndent(credentialProcess{
		Version: 1, AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey,
		SessionToken: c.SessionToken, Expiration: expiration(c), AccountID: c.AccountID,
	}, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// assignments prints one assignment a line.
func assignments(line string, quote func(string) (string, error)) func(io.Writer, []string) error {
	return func(w io.Writer, vars []string) error {
		var b strings.Builder
		for _, kv := range vars {
			name, value, _ := strings.Cut(kv, "=")
			if err := checkValue(value); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			v, err := quote(value)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			fmt.Fprintf(&b, line, name, v)
		}
		_, err := io.WriteString(w, b.String())
		return err
	}
}

// checkValue refuses what no environment variable or JSON string can carry unchanged. STS
// never issues such values; a broken or hostile endpoint might.
func checkValue(v string) error {
	if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
		return fmt.Errorf("the value is not valid UTF-8 text without NUL bytes")
	}
	return nil
}

// Values made only of these characters, which is all STS issues, need no quoting in any shell.
var plain = regexp.MustCompile(`^[A-Za-z0-9+/=._:-]+$`)

func posixQuote(v string) (string, error) {
	if plain.MatchString(v) {
		return v, nil
	}
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'", nil
}

func fishQuote(v string) (string, error) {
	if plain.MatchString(v) {
		return `"` + v + `"`, nil
	}
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'", nil
}

func powershellQuote(v string) (string, error) {
	if plain.MatchString(v) {
		return `"` + v + `"`, nil
	}
	return "'" + strings.ReplaceAll(v, "'", "''") + "'", nil
}

func cmdQuote(v string) (string, error) {
	if plain.MatchString(v) {
		return v, nil
	}
	return "", fmt.Errorf("the value has characters that windows-cmd cannot set safely; use another --format")
}

// parseFlags parses args; --help prints usage and examples and ends the command with exit 0.
func parseFlags(fs *flag.FlagSet, args []string, s streams, usage string) error {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	if err == flag.ErrHelp {
		fs.SetOutput(s.out)
		fmt.Fprint(s.out, usage)
		fs.PrintDefaults()
		return exitCode(0)
	}
	if err != nil {
		return usageError{err.Error()}
	}
	return nil
}
