package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

const serveUsage = `Usage: awssts serve --role-arn ARN [--listen 127.0.0.1:PORT] [--format FORMAT] [--background] [flags]

Serves the role's credentials on a loopback endpoint, in the container-credentials
protocol that every AWS SDK and the AWS CLI read, to any process of this user that has
the two variables it prints: AWS_CONTAINER_CREDENTIALS_FULL_URI and
AWS_CONTAINER_AUTHORIZATION_TOKEN (256 random bits). Prefetch keeps the credentials
fresh. SIGINT or SIGTERM stop it. Only a loopback --listen address is accepted: the SDKs
fetch credentials over plain HTTP from loopback only.

With --background (Unix) the server runs as a detached process (its own session, no
terminal), and awssts prints the variables and exits once it is ready, so that eval can
take them; stderr says which process to kill to stop it. An MFA code is asked for before
that, in the foreground.

Examples:
  eval "$(awssts serve --profile source --role-arn arn:aws:iam::123456789012:role/app --background)"
  aws s3 ls

  awssts serve --role-arn arn:aws:iam::123456789012:role/app --listen 127.0.0.1:9911 --format fish

Flags:
`

func runServe(ctx context.Context, args []string, s streams) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var c commonFlags
	c.register(fs)
	listen := fs.String("listen", "127.0.0.1:0", "loopback address to serve on; port 0 picks a free port")
	format := fs.String("format", "env", "shell syntax of the two variables: "+formatNames(shells))
	background := fs.Bool("background", false, "serve from a detached process and exit once it is ready (Unix only)")
	logFile := fs.String("log", "", "with --background: append the server's warnings to FILE (default: discard them)")
	if err := parseFlags(fs, args, s, serveUsage); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("serve takes no arguments, got %q", fs.Arg(0))
	}
	write, ok := shells[*format]
	switch {
	case !ok:
		return usagef("--format %q: want one of %s", *format, formatNames(shells))
	case *logFile != "" && !*background:
		return usagef("--log needs --background; in the foreground, warnings go to stderr")
	case *background && c.noCache && c.mfaSerial != "":
		return usagef("--background with --mfa-serial needs the cache, since the detached server cannot ask for a code: drop --no-cache")
	}
	if err := loopback(*listen); err != nil {
		return err
	}
	if os.Getenv(detachedVariable) != "" {
		return serveDetached(ctx, &c, s)
	}

	noteShadowing(s)
	r, err := c.build(ctx, s, !*background)
	if err != nil {
		return err
	}
	defer r.Close()
	if _, err := r.Retrieve(ctx); err != nil { // asks for an MFA code now, and shows that the role can be assumed
		return err
	}
	if *background {
		env, pid, err := startDetached(args, *listen, *logFile)
		if err != nil {
			return err
		}
		if err := write(s.out, env); err != nil {
			return err
		}
		fmt.Fprintf(s.errOut, "awssts: serving in the background as process %d; stop it with: kill %d\n", pid, pid)
		return nil
	}
	stopped, stop := stopSignals(ctx)
	defer stop()
	srv, err := serveCredentials(r.Provider, *listen)
	if err != nil {
		return err
	}
	if err := write(s.out, srv.env()); err != nil {
		srv.Close()
		return err
	}
	r.Started()
	return untilStopped(stopped, srv)
}

// stopSignals is done at SIGINT or SIGTERM. It is set up before the server is announced, so
// that a signal sent as soon as the variables are out still stops it cleanly.
func stopSignals(ctx context.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
}

// untilStopped serves until stopped is done, then lets requests in progress finish.
func untilStopped(stopped context.Context, srv *credentialServer) error {
	<-stopped.Done()
	if err := srv.Shutdown(); err != nil {
		srv.Close()
	}
	return nil
}

// loopback refuses a --listen address that is not loopback: the SDKs take credentials over
// plain HTTP only from there, and anywhere else the token would cross a network in clear.
func loopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return usagef("--listen %q: want HOST:PORT, such as 127.0.0.1:0", addr)
	}
	if ip := net.ParseIP(host); host == "localhost" || ip != nil && ip.IsLoopback() {
		return nil
	}
	return usagef("--listen %q: not a loopback address; the SDKs fetch credentials over plain HTTP only from loopback (127.0.0.1, ::1, localhost)", addr)
}

// shadowing are settings that the SDKs use before a container-credentials endpoint.
var shadowing = []string{"AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE"}

// noteShadowing says on stderr when the caller's environment has settings that would keep
// the SDKs there from using the endpoint.
func noteShadowing(s streams) {
	var set []string
	for _, k := range shadowing {
		if os.Getenv(k) != "" {
			set = append(set, k)
		}
	}
	switch len(set) {
	case 0:
	case 1:
		fmt.Fprintf(s.errOut, "awssts: note: %s is set here, and the SDKs use it before the endpoint: unset it where the endpoint should be used\n", set[0])
	default:
		fmt.Fprintf(s.errOut, "awssts: note: %s are set here, and the SDKs use them before the endpoint: unset them where the endpoint should be used\n", strings.Join(set, ", "))
	}
}

// readToken reads the token that the --background parent hands its detached server on stdin.
func readToken(in io.Reader) (string, error) {
	b, err := io.ReadAll(io.LimitReader(in, 256))
	if err != nil || len(b) < 32 {
		return "", fmt.Errorf("no token on stdin (%d bytes, %v)", len(b), err)
	}
	return string(b), nil
}
