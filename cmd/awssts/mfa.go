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

// mfaPrompt asks for the MFA code of the GetSessionToken that starts an MFA session, on the
// terminal only: stdin belongs to whoever runs awssts (a credential_process consumer's data,
// or exec's child), never to the prompt. With no terminal it fails at once and says how to
// start the session. After Stop a prompt gives up at once, so that nothing holds awssts
// after its child has ended.
type mfaPrompt struct {
	serial string
	hint   string // the command that starts the MFA session from a terminal

	stop     chan struct{}
	stopOnce sync.Once
}

func newMFAPrompt(serial, hint string, _ streams) *mfaPrompt {
	return &mfaPrompt{serial: serial, hint: hint, stop: make(chan struct{})}
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
	if err != nil {
		return "", fmt.Errorf("the MFA session for %s needs a code, and there is no terminal to ask for it on: start the session from a terminal first, with: %s", m.serial, m.hint)
	}
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

// ask prompts and reads one line.
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

// startHint is the command that starts the MFA session these flags use, from a terminal.
func (c *commonFlags) startHint() string {
	h := "awssts export --format env --role-arn " + c.roleARN + " --mfa-serial " + c.mfaSerial
	if c.profile != "" {
		h += " --profile " + c.profile
	}
	if c.mfaDuration != "" {
		h += " --mfa-duration " + c.mfaDuration
	}
	return h + " >/dev/null"
}
