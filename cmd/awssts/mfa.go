package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
)

// openTTY opens the controlling terminal; tests replace it.
var openTTY = defaultOpenTTY

func defaultOpenTTY() (io.ReadWriteCloser, error) { return os.OpenFile("/dev/tty", os.O_RDWR, 0) }

// mfaPrompt asks for the MFA code of the GetSessionToken that starts an MFA session: on the
// terminal, or else on stdin, but stdin only until a child or the server starts, since from
// then on stdin is not awssts's to read. After Stop a prompt gives up at once, so that
// nothing holds awssts after its child has ended.
type mfaPrompt struct {
	serial string
	in     io.Reader
	errOut io.Writer

	mu       sync.Mutex
	started  bool
	stop     chan struct{}
	stopOnce sync.Once
}

func newMFAPrompt(serial string, s streams) *mfaPrompt {
	return &mfaPrompt{serial: serial, in: s.in, errOut: s.errOut, stop: make(chan struct{})}
}

// Started says that stdin now belongs to a child, or to nobody: later codes come from the
// terminal only.
func (m *mfaPrompt) Started() {
	m.mu.Lock()
	m.started = true
	m.mu.Unlock()
}

// Stop makes a prompt in progress, and every later one, fail.
func (m *mfaPrompt) Stop() { m.stopOnce.Do(func() { close(m.stop) }) }

var errStopped = errors.New("awssts is exiting")

// code is the TokenProvider of the MFA session.
func (m *mfaPrompt) code() (string, error) {
	select {
	case <-m.stop:
		return "", errStopped
	default:
	}
	tty, err := openTTY()
	if err == nil {
		done := make(chan struct{})
		defer close(done)
		go func() {
			select {
			case <-m.stop:
				tty.Close() // ends the Read below
			case <-done:
			}
		}()
		defer tty.Close()
		return m.ask(tty, tty)
	}
	m.mu.Lock()
	started := m.started
	m.mu.Unlock()
	if started {
		return "", fmt.Errorf("the MFA session has expired and there is no terminal to ask for a code on: run awssts again from a terminal")
	}
	return m.ask(m.in, m.errOut)
}

// ask prompts and reads one line a byte at a time, so that what follows the code on stdin
// is left for exec's child.
func (m *mfaPrompt) ask(in io.Reader, prompt io.Writer) (string, error) {
	fmt.Fprintf(prompt, "MFA code for %s: ", m.serial)
	var line []byte
	b := make([]byte, 1)
	for len(line) < 64 {
		n, err := in.Read(b)
		if n == 1 && b[0] == '\n' {
			break
		}
		line = append(line, b[:n]...)
		if err != nil {
			select {
			case <-m.stop:
				return "", errStopped
			default:
			}
			if len(line) == 0 {
				return "", fmt.Errorf("read MFA code: %w", err)
			}
			break
		}
	}
	return strings.TrimSpace(string(line)), nil
}
