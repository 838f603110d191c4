package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/awssts/awssts"
	"github.com/awssts/awssts/internal/credcache"
	"github.com/awssts/awssts/ststest"
)

const (
	mfaSerial = "arn:aws:iam::123456789012:mfa/alice"
	mfaCode   = "123456"
)

// mfaSTS is localSTS with an MFA device, and a role that only MFA sessions may assume. There
// is no terminal unless the test gives one.
func mfaSTS(t *testing.T) *ststest.Server {
	t.Helper()
	srv := localSTS(t)
	srv.AddMFADevice(mfaSerial, mfaCode)
	srv.RequireMFA(roleARN)
	noTTY(t)
	return srv
}

func noTTY(t *testing.T) {
	setTTY(t, func() (io.ReadWriteCloser, error) { return nil, os.ErrNotExist })
}

// ttyHook is the terminal that openTTY opens in tests, nil for the real one. A test may
// change it while a Provider's prefetch goroutine is asking for a code, so it is swapped
// atomically, never by assigning openTTY.
var ttyHook atomic.Pointer[func() (io.ReadWriteCloser, error)]

func init() {
	openTTY = func() (io.ReadWriteCloser, error) {
		if open := ttyHook.Load(); open != nil {
			return (*open)()
		}
		return defaultOpenTTY()
	}
}

// setTTY makes open the terminal until the test ends, then restores the one before it, which
// a Provider closed by an earlier cleanup may still be using.
func setTTY(t *testing.T, open func() (io.ReadWriteCloser, error)) {
	prev := ttyHook.Swap(&open)
	t.Cleanup(func() { ttyHook.Store(prev) })
}

func calls(srv *ststest.Server, action string) []ststest.Call {
	var cs []ststest.Call
	for _, c := range srv.Calls() {
		if c.Action == action {
			cs = append(cs, c)
		}
	}
	return cs
}

// ttyAnswering gives awssts a terminal on which each prompt is answered with code; what
// awssts writes there goes to the returned buffer.
func ttyAnswering(t *testing.T, code string) *watched {
	said := newWatched()
	setTTY(t, func() (io.ReadWriteCloser, error) {
		return answered{strings.NewReader(code + "\n"), said}, nil
	})
	return said
}

type answered struct {
	*strings.Reader
	out io.Writer
}

func (a answered) Write(p []byte) (int, error) { return a.out.Write(p) }
func (answered) Close() error                  { return nil }

// One code starts an MFA session that later exports use without asking: for the same role
// once its entry is gone, and for another role.
func TestMFA_OneCodeServesTheSession(t *testing.T) {
	srv := mfaSTS(t)
	srv.AddRole(otherRole, time.Hour)
	srv.RequireMFA(otherRole)
	said := ttyAnswering(t, mfaCode)
	code, _, stderr := runCLI(t, "", "export", "--role-arn", roleARN, "--mfa-serial", mfaSerial)
	if code != 0 || !strings.Contains(said.String(), "MFA code for "+mfaSerial) || stderr != "" {
		t.Fatalf("exit %d, stderr %q, terminal %q: want the prompt on the terminal", code, stderr, said.String())
	}
	runCLI(t, "", "cache", "clear", "--role-arn", roleARN)
	noTTY(t) // a prompt would fail
	for _, role := range []string{roleARN, otherRole} {
		if code, _, stderr := runCLI(t, "", "export", "--role-arn", role, "--mfa-serial", mfaSerial); code != 0 || stderr != "" {
			t.Errorf("%s: exit %d, stderr %q; want the cached MFA session and no prompt", role, code, stderr)
		}
	}
	gst := calls(srv, "GetSessionToken")
	if len(gst) != 1 || gst[0].SerialNumber != mfaSerial || gst[0].TokenCode != mfaCode {
		t.Errorf("GetSessionToken calls %+v, want one with the device and the code", gst)
	}
	if n := assumeRoles(srv); n != 3 {
		t.Errorf("%d AssumeRole calls, want 3", n)
	}
}

func TestMFA_WrongCode_Exit1_NothingCached(t *testing.T) {
	mfaSTS(t)
	ttyAnswering(t, "654321")
	code, stdout, stderr := runCLI(t, "", "export", "--role-arn", roleARN, "--mfa-serial", mfaSerial)
	if code != exitFailure || stdout != "" || !strings.Contains(stderr, "AccessDenied") {
		t.Errorf("exit %d, stdout %q, stderr %q; want 1 and STS's AccessDenied", code, stdout, stderr)
	}
	if files := entryFiles(t); len(files) != 0 {
		t.Errorf("entries %v after a failure, want none", files)
	}
}

// watched collects what is written to it and tells when some text has appeared.
type watched struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{}
}

func newWatched() *watched { return &watched{changed: make(chan struct{}, 1)} }

func (w *watched) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	select {
	case w.changed <- struct{}{}:
	default:
	}
	return w.b.Write(p)
}

func (w *watched) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// waitFor waits until text has been written, or fails the test after a minute.
func (w *watched) waitFor(t *testing.T, text string) {
	t.Helper()
	deadline := time.After(time.Minute)
	for !strings.Contains(w.String(), text) {
		select {
		case <-w.changed:
		case <-deadline:
			t.Fatalf("%q never came; got %q", text, w.String())
		}
	}
}

// The code of the first MFA session comes from the terminal, and the child of exec --serve
// reads all of stdin.
func TestMFA_ExecServe_CodeFromTheTerminal_ChildGetsAllOfStdin(t *testing.T) {
	srv := mfaSTS(t)
	ttyAnswering(t, mfaCode)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	io.WriteString(w, "line 1\nline 2\n")
	w.Close()
	argv := append([]string{"exec", "--serve", "--role-arn", roleARN, "--mfa-serial", mfaSerial, "--"}, child(t, "stdin")...)
	var stdout, stderr bytes.Buffer
	if code := run(t.Context(), argv, streams{r, &stdout, &stderr}); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.HasPrefix(stdout.String(), `stdin "line 1\nline 2\n" <nil>`) || len(calls(srv, "GetSessionToken")) != 1 {
		t.Errorf("child said %q after %d GetSessionToken calls; want all of stdin, and one call", stdout.String(), len(calls(srv, "GetSessionToken")))
	}
}

// mfaRunning builds what exec --serve builds, after the MFA session has been started by an
// export, as if its child were running with stdin holding the child's input. The
// cached MFA session is then made to end within its window, and the held role credentials
// are dropped, so that the next Retrieve renews the role and that needs a new MFA session.
func mfaRunning(t *testing.T, stdin io.Reader, stderr io.Writer) *roleCredentials {
	t.Helper()
	ttyAnswering(t, mfaCode)
	if code, _, stderr := runCLI(t, "", "export", "--role-arn", roleARN, "--mfa-serial", mfaSerial); code != 0 {
		t.Fatal(stderr)
	}
	noTTY(t)
	defer os.Setenv(guardVariable, os.Getenv(guardVariable))
	c := commonFlags{roleARN: roleARN, mfaSerial: mfaSerial}
	r, err := c.build(t.Context(), streams{stdin, io.Discard, stderr}, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	if _, err := r.Retrieve(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, file := range entryFiles(t) {
		var e credcache.Entry
		b, err := os.ReadFile(file)
		if err == nil {
			err = json.Unmarshal(b, &e)
		}
		if err != nil {
			t.Fatal(err)
		}
		if e.Action == "GetSessionToken" {
			e.Expiration = time.Now().Add(awssts.DefaultExpiryWindow - time.Second)
			b, _ = json.Marshal(e)
			writeFile(t, file, string(b))
		}
	}
	r.Invalidate()
	return r
}

// With no terminal, a renewal while the child runs does not read the child's stdin: it
// fails, and the failure is logged.
func TestMFA_RenewalWhileChildRuns_NoTerminal_Fails_LeavesStdin(t *testing.T) {
	srv := mfaSTS(t)
	stdin, stderr := strings.NewReader(mfaCode+"\nchild input\n"), newWatched()
	r := mfaRunning(t, stdin, stderr)
	_, err := r.Retrieve(t.Context())
	if err == nil || !strings.Contains(err.Error(), "no terminal to ask for it on") {
		t.Errorf("Retrieve: %v, want the missing terminal", err)
	}
	if stdin.Len() != len(mfaCode+"\nchild input\n") || len(calls(srv, "GetSessionToken")) != 1 {
		t.Errorf("%d bytes of stdin left, %d GetSessionToken calls: want stdin untouched and no new call", stdin.Len(), len(calls(srv, "GetSessionToken")))
	}
	stderr.waitFor(t, "no terminal to ask for it on")
}

// With a terminal, the renewal asks there, and the new MFA session renews the role.
func TestMFA_RenewalWhileChildRuns_AsksOnTheTerminal(t *testing.T) {
	srv := mfaSTS(t)
	stdin := strings.NewReader("child input\n")
	r := mfaRunning(t, stdin, io.Discard)
	tty := fakeTTY(t)
	go func() {
		tty.said.waitFor(t, "MFA code for "+mfaSerial)
		io.WriteString(tty.w, mfaCode+"\n")
	}()
	if _, err := r.Retrieve(t.Context()); err != nil {
		t.Fatal(err)
	}
	if gst := calls(srv, "GetSessionToken"); len(gst) != 2 || gst[1].TokenCode != mfaCode || stdin.Len() != len("child input\n") {
		t.Errorf("GetSessionToken calls %+v, stdin left %d: want a second call with the code from the terminal, stdin untouched", gst, stdin.Len())
	}
	if n := assumeRoles(srv); n != 2 {
		t.Errorf("%d AssumeRole calls, want the renewal", n)
	}
}

// When nobody answers the prompt, Close, which awssts runs once its child has ended, ends it:
// the exit is not held.
func TestMFA_UnansweredPrompt_CloseEndsIt(t *testing.T) {
	mfaSTS(t)
	r := mfaRunning(t, strings.NewReader(""), io.Discard)
	tty := fakeTTY(t)
	done := make(chan error, 1)
	go func() {
		_, err := r.Retrieve(t.Context())
		done <- err
	}()
	tty.said.waitFor(t, "MFA code for "+mfaSerial)
	closed := make(chan struct{})
	go func() {
		r.Close()
		close(closed)
	}()
	for _, ch := range []<-chan struct{}{closed, errDone(done)} {
		select {
		case <-ch:
		case <-time.After(10 * time.Second):
			t.Fatal("the prompt held Close or Retrieve")
		}
	}
}

func errDone(done chan error) <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		<-done
		close(ch)
	}()
	return ch
}

type tty struct {
	said *watched       // what awssts wrote to the terminal
	w    io.WriteCloser // what the user types
}

// fakeTTY gives awssts a terminal of the test's.
func fakeTTY(t *testing.T) *tty {
	pr, pw := io.Pipe()
	tt := &tty{said: newWatched(), w: pw}
	setTTY(t, func() (io.ReadWriteCloser, error) { return ttyEnds{pr, tt.said}, nil })
	t.Cleanup(func() { pw.Close() })
	return tt
}

type ttyEnds struct {
	*io.PipeReader
	out io.Writer
}

func (e ttyEnds) Write(p []byte) (int, error) { return e.out.Write(p) }
