// Command awssts assumes an IAM role and hands the temporary credentials to programs that are
// not written in Go: as credential_process JSON, as shell variables, to a child process, or
// from a loopback container-credentials endpoint.
//
//	awssts export --format process|env|env-no-export|powershell|windows-cmd|fish --role-arn ARN
//	awssts exec [--serve] --role-arn ARN -- CMD ARGS...
//	awssts serve --role-arn ARN [--background]
//	awssts cache clear [--role-arn ARN]
//
// Source credentials come from the SDK's default chain (--profile picks a profile), and
// AWS_ENDPOINT_URL_STS is honoured; or, with --certificate and --private-key, IAM Roles
// Anywhere CreateSession is the source (AWS_ENDPOINT_URL_ROLESANYWHERE is honoured). Processes of one user share a credential cache, so that
// they make one STS call per session between them, and with --mfa-serial one MFA code serves
// an MFA session. Bad input exits 2, an STS failure exits 1.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// Exit codes: a usage error is the caller's to fix, a failure is STS's or the system's.
const (
	exitFailure = 1
	exitUsage   = 2
)

// usageError is bad input on the command line; it is printed on one line and exits 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// usagef formats a usage error, each string argument (a flag value, as typed) cut to
// maxEcho characters.
func usagef(format string, args ...any) error {
	for i, a := range args {
		if s, ok := a.(string); ok {
			args[i] = clip(s)
		}
	}
	return usageError{fmt.Sprintf(format, args...)}
}

// maxEcho is how much of a value the command shows back: a flag value may be megabytes long.
const maxEcho = 100

// clip cuts s to maxEcho characters, marking the cut with "…".
func clip(s string) string { return clipAt(s, maxEcho) }

func clipAt(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// clipWords clips each word of s, for messages that quote a value inside another error (the
// flag package's, the SDK's); the margin spares a value that usagef clipped already, with
// its quotes and punctuation.
func clipWords(s string) string {
	words := strings.Fields(s)
	for i, w := range words {
		words[i] = clipAt(w, maxEcho+8)
	}
	return strings.Join(words, " ")
}

// streams are the process's standard streams, swapped out in tests.
type streams struct {
	in          io.Reader
	out, errOut io.Writer
}

func main() {
	os.Exit(run(context.Background(), os.Args[1:], streams{os.Stdin, os.Stdout, os.Stderr}))
}

const mainUsage = `awssts assumes an IAM role and prints or hands on the temporary credentials.

Usage:
  awssts export --format FORMAT --role-arn ARN [flags]
  awssts exec [--serve] --role-arn ARN [flags] -- CMD [ARGS...]
  awssts serve --role-arn ARN [--background] [flags]
  awssts cache clear [--role-arn ARN]

With a certificate (IAM Roles Anywhere) instead of source credentials, export, exec and
serve take --certificate FILE --private-key FILE [--intermediates FILE]
--trust-anchor-arn ARN --profile-arn ARN --role-arn ARN.

Run 'awssts COMMAND --help' for the flags and examples.
`

// run executes one command line and returns the exit code.
func run(ctx context.Context, args []string, s streams) int {
	if len(args) == 0 {
		fmt.Fprint(s.errOut, mainUsage)
		return exitUsage
	}
	var err error
	switch args[0] {
	case "export":
		err = runExport(ctx, args[1:], s)
	case "exec":
		err = runExec(ctx, args[1:], s)
	case "serve":
		err = runServe(ctx, args[1:], s)
	case "cache":
		err = runCache(ctx, args[1:], s)
	default:
		if isHelp(args[0]) {
			fmt.Fprint(s.out, mainUsage)
			return 0
		}
		err = usagef("unknown command %q: want export, exec, serve or cache", args[0])
	}
	var code exitCode
	var noSource *noSourceError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &code):
		return int(code)
	case errors.As(err, new(usageError)):
		fmt.Fprintf(s.errOut, "awssts: %s\n", clipWords(err.Error()))
		return exitUsage
	case errors.As(err, &noSource):
		fmt.Fprintf(s.errOut, "awssts: %s\n", noSource)
		return exitFailure
	}
	msg := strings.TrimPrefix(err.Error(), "failed to refresh cached credentials, ") // the SDK cache's wrapper
	fmt.Fprintf(s.errOut, "awssts: %s\n", oneLine(strings.TrimPrefix(msg, "awssts: ")))
	return exitFailure
}

// exitCode is a child's exit status, passed through as ours without a message.
type exitCode int

func (c exitCode) Error() string { return fmt.Sprintf("exit status %d", int(c)) }

func isHelp(arg string) bool { return slices.Contains([]string{"-h", "-help", "--help", "help"}, arg) }

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
