package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/awssts/awssts/internal/credserver"
)

const serveUsage = `Usage: awssts serve --role-arn ARN [--listen 127.0.0.1:PORT] [--format FORMAT] [--background] [flags]

Serves the role's credentials on a loopback endpoint, in the container-credentials
protocol that every AWS SDK and the AWS CLI read, to any process of this user that has
the variables it prints: AWS_CONTAINER_CREDENTIALS_FULL_URI and
AWS_CONTAINER_AUTHORIZATION_TOKEN (256 random bits), and AWS_CONFIG_FILE,
AWS_SHARED_CREDENTIALS_FILE and BOTO_CONFIG naming copies of the shared files without
credentials (regions and other settings kept), so that no profile's keys win over the
endpoint; variables that would (AWS_ACCESS_KEY_ID, AWS_WEB_IDENTITY_TOKEN_FILE, ...) are
unset. Prefetch keeps the credentials fresh, and each renewal is one line on stderr.
GET /healthz, without the token, answers 200 while usable credentials are held, else
503, with the remaining seconds as the body. SIGINT or SIGTERM stop it. Only a loopback
--listen address is accepted, checked again once bound.

With --background (Unix) the server runs as a detached process (its own session, no
terminal, working directory /, no descriptors of its caller, private flags passed on a
pipe, not in its arguments), and awssts prints the variables and exits once it is ready,
so that eval can take them; stderr says which process to kill to stop it. An MFA code is
asked for before that, in the foreground.

Examples:
  eval "$(awssts serve --profile source --role-arn arn:aws:iam::123456789012:role/app --background)"
  aws s3 ls

  awssts serve --role-arn arn:aws:iam::123456789012:role/app --listen 127.0.0.1:9911 --format fish

Flags:
`

func runServe(ctx context.Context, args []string, s streams) error {
	if os.Getenv(detachedVariable) != "" {
		return serveDetached(ctx, s)
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var c commonFlags
	c.register(fs)
	listen := fs.String("listen", "127.0.0.1:0", "loopback address to serve on; port 0 picks a free port")
	format := fs.String("format", "env", "shell syntax of the variables: "+formatNames(shells))
	background := fs.Bool("background", false, "serve from a detached process and exit once it is ready (Unix only)")
	logFile := fs.String("log", "", "with --background: append the server's renewals and warnings to FILE (default: discard them)")
	if err := parseFlags(fs, args, s, serveUsage); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("serve takes no arguments, got %q", fs.Arg(0))
	}
	_, ok := shells[*format]
	switch {
	case !ok:
		return usagef("--format %q: want one of %s", *format, formatNames(shells))
	case *logFile != "" && !*background:
		return usagef("--log needs --background; in the foreground, renewals and warnings go to stderr")
	case *background && errNoBackground != nil:
		return errNoBackground
	case *background && c.noCache && c.mfaSerial != "":
		return usagef("--background with --mfa-serial needs the cache, since the detached server cannot ask for a code: drop --no-cache")
	}
	if err := loopback(*listen); err != nil {
		return err
	}

	r, err := c.build(ctx, s, !*background)
	if err != nil {
		return err
	}
	defer r.Close()
	if _, err := r.Retrieve(ctx); err != nil { // asks for an MFA code now, and shows that the role can be assumed
		return err
	}
	files, err := newEndpointFiles(r.src)
	if err != nil {
		return err
	}
	ln, err := listenLoopback(*listen)
	if err != nil {
		files.Remove()
		return err
	}
	token := credserver.NewToken()
	vars := append(files.vars(), credserver.Env(credserver.URL(ln), token)...)
	if *background {
		defer ln.Close()
		pid, err := startDetached(fs, &c, ln, token, files, *logFile)
		if err != nil {
			files.Remove()
			return err
		}
		if err := printVars(s.out, *format, vars); err != nil {
			return err
		}
		fmt.Fprintf(s.errOut, "awssts: serving in the background as process %d; stop it with: kill %d\n", pid, pid)
		return nil
	}
	defer files.Remove()
	stopped, stop := stopSignals(ctx)
	defer stop()
	srv := credserver.Serve(ln, r.Provider, token, credserver.Options{})
	if err := printVars(s.out, *format, vars); err != nil {
		srv.Close()
		return err
	}
	return untilStopped(stopped, srv)
}

// printVars prints, in the shell's syntax, the unsetting of the caller's variables that
// would win over the endpoint, then vars, the token last.
func printVars(w io.Writer, format string, vars []string) error {
	var set []string
	for _, k := range shadowingVariables {
		if _, ok := os.LookupEnv(k); ok {
			set = append(set, k)
		}
	}
	if err := unsets[format](w, set); err != nil {
		return err
	}
	return shells[format](w, vars)
}

// listenLoopback listens on addr and refuses an address that is not loopback once bound,
// whatever the name given resolved to.
func listenLoopback(addr string) (net.Listener, error) {
	ln, err := credserver.Listen(addr)
	if err != nil {
		return nil, usagef("--listen %q: %v", addr, err)
	}
	return ln, nil
}

// stopSignals is done at SIGINT or SIGTERM. It is set up before the server is announced, so
// that a signal sent as soon as the variables are out still stops it cleanly.
func stopSignals(ctx context.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
}

// untilStopped serves until stopped is done, then lets requests in progress finish.
func untilStopped(stopped context.Context, srv *credserver.Server) error {
	<-stopped.Done()
	return srv.Shutdown()
}

// loopback refuses a --listen address that is not loopback by name: the SDKs take
// credentials over plain HTTP only from there, and anywhere else the token would cross a
// network in clear. listenLoopback checks the address again once bound.
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
