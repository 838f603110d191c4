package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"slices"
	"strings"
	"syscall"

	"github.com/awssts/awssts"
	"github.com/awssts/awssts/internal/credserver"
)

const execUsage = `Usage: awssts exec [--serve] --role-arn ARN [flags] -- CMD [ARGS...]

Runs CMD with the role's temporary credentials and AWS_REGION in its environment. The
exit code is CMD's, and SIGINT and SIGTERM are forwarded to it. The source's
variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, their legacy
names AWS_ACCESS_KEY, AWS_SECRET_KEY and AMAZON_*, and, without --serve, AWS_PROFILE) are not
passed on.

With --serve, CMD gets no keys: it gets AWS_CONTAINER_CREDENTIALS_FULL_URI and
AWS_CONTAINER_AUTHORIZATION_TOKEN instead, and every AWS SDK and the AWS CLI fetch
credentials from a loopback endpoint that prefetch keeps fresh, so CMD may run longer
than one session lasts. Its AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE and BOTO_CONFIG
name copies of the shared files without credentials, regions and other settings kept, so
that no profile's keys win over the endpoint: AWS_PROFILE is kept, and every profile runs
as the role. Each renewal is one line on stderr. On Linux, CMD gets SIGTERM if awssts dies.

Examples:
  awssts exec --role-arn arn:aws:iam::123456789012:role/app -- aws s3 ls
  awssts exec --serve --role-arn arn:aws:iam::123456789012:role/app -- python3 long_job.py

Flags:
`

// sourceKeyVariables are every name under which an SDK reads keys from the environment:
// the standard ones and botocore's AWS_SECURITY_TOKEN, the Go SDK's and the Java SDK v1's
// legacy AWS_ACCESS_KEY and AWS_SECRET_KEY, and the AMAZON_ names of the Ruby SDK and the
// JavaScript SDK v2. Any of them may hold the source's keys.
var sourceKeyVariables = []string{
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_CREDENTIAL_EXPIRATION",
	"AWS_ACCESS_KEY", "AWS_SECRET_KEY",
	"AMAZON_ACCESS_KEY_ID", "AMAZON_SECRET_ACCESS_KEY", "AMAZON_SESSION_TOKEN",
}

// sourceVariables are the parent's credential settings; the child must see the role's
// credentials only.
var sourceVariables = append(slices.Clone(sourceKeyVariables),
	"AWS_PROFILE", "AWS_DEFAULT_PROFILE",
	"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	"AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
	"AWS_REGION", "AWS_DEFAULT_REGION",
	"AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_SESSION_NAME", // web identity outranks --serve
	guardVariable, // the child is not part of awssts's own source chain
)

// servedVariables are sourceVariables but the profile's: the child of --serve reads the
// endpoint's config copy, in which every profile is kept without credentials, so that
// AWS_PROFILE keeps giving it the profile's other settings (output, ca_bundle, s3, …), as
// in a shell after serve.
var servedVariables = slices.DeleteFunc(slices.Clone(sourceVariables), func(v string) bool {
	return v == "AWS_PROFILE" || v == "AWS_DEFAULT_PROFILE"
})

func runExec(ctx context.Context, args []string, s streams) error {
	fs := flag.NewFlagSet("exec", flag.ContinueOnError)
	var c commonFlags
	c.register(fs)
	serve := fs.Bool("serve", false, "serve credentials on a loopback endpoint instead of exporting keys")
	if err := parseFlags(fs, args, s, execUsage); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("exec needs a command after --: awssts exec --role-arn ARN -- CMD [ARGS...]")
	}
	r, err := c.build(ctx, s, *serve)
	if err != nil {
		return err
	}
	defer r.Close()
	creds, err := r.Retrieve(ctx)
	if err != nil {
		return err
	}

	env := withoutSource(os.Environ())
	if *serve {
		env = slices.DeleteFunc(without(os.Environ(), servedVariables...), func(kv string) bool {
			return kv == "AWS_PROFILE=" || kv == "AWS_DEFAULT_PROFILE=" // unset for awssts, a profile named "" for botocore
		})
	}
	env = append(env, "AWS_REGION="+r.cfg.Region, "AWS_DEFAULT_REGION="+r.cfg.Region)
	if *serve {
		files, err := newEndpointFiles(r.src)
		if err != nil {
			return err
		}
		defer files.Remove()
		ln, err := listenLoopback("127.0.0.1:0")
		if err != nil {
			return err
		}
		srv := credserver.Serve(ln, r.Provider, credserver.NewToken(), credserver.Options{})
		defer srv.Close()
		env = append(without(env, shadowingVariables...), files.vars()...)
		return runChild(fs.Args(), append(env, srv.Env()...), s) // then Close ends any prompt still asking for a code
	}
	creds.Expires = realExpiry(r.Provider, creds)
	return replaceProcess(fs.Args(), append(env, awssts.Env(creds, "")...), s)
}

func withoutSource(environ []string) []string { return without(environ, sourceVariables...) }

// without returns environ without the variables names.
func without(environ []string, names ...string) []string {
	kept := environ[:0:0]
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(names, name) {
			kept = append(kept, kv)
		}
	}
	return kept
}

// runChild runs the command beside the --serve endpoint and returns its exit status as an
// exitCode (128+N when signal N ended it, as shells report it). SIGTERM and SIGHUP are
// forwarded; SIGINT and SIGQUIT only when the terminal has not already sent them to the child.
func runChild(argv []string, env []string, s streams) error {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env, cmd.Stdin, cmd.Stdout, cmd.Stderr = env, s.in, s.out, s.errOut
	cmd.SysProcAttr = childAttr()
	// The parent-death signal follows the thread that started the child: keep it.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		return startFailed(argv[0], err, s)
	}
	fromTerminal := inTerminalForeground()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case sig := <-sigs:
			if fromTerminal && (sig == os.Interrupt || sig == syscall.SIGQUIT) {
				continue // the child is in our process group and got it from the terminal
			}
			_ = cmd.Process.Signal(sig)
		case err := <-done:
			var exitErr *exec.ExitError
			switch {
			case err == nil:
				return nil
			case errors.As(err, &exitErr):
				if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
					return exitCode(128 + int(ws.Signal()))
				}
				return exitCode(exitErr.ExitCode())
			}
			return err
		}
	}
}

// startFailed reports a command that could not be started with a shell's exit codes:
// 127 when it was not found, 126 when it could not be run.
func startFailed(name string, err error, s streams) error {
	fmt.Fprintf(s.errOut, "awssts: exec %s: %v\n", name, err)
	if errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist) {
		return exitCode(127)
	}
	return exitCode(126)
}
