package awssts

import (
	"context"
	"fmt"
	"regexp"
	"sync"
	"time"
)

var tokenCodeChars = regexp.MustCompile(`^[0-9]{6}$`)

// userBackoff is the least wait after a TokenProvider failed or gave a code that is not six
// digits: only a person can fix that, and asking again sooner only asks them again.
const userBackoff = 5 * time.Minute

// mfaPrompt runs a TokenProvider so that the call asking for a code can give up: the prompt
// goes on in a goroutine of its own, and a later call that finds a prompt for the same MFA
// device still running, from any Provider in the process, waits for its answer instead of
// starting a second one. An answer that nobody waits for any more is discarded.
type mfaPrompt struct {
	serial string
	ask    func() (string, error)
}

type prompt struct {
	done chan struct{}
	code string
	err  error
}

// prompts are the prompts open in the process, by MFA serial number.
var prompts struct {
	sync.Mutex
	open map[string]*prompt
}

func newMFAPrompt(serial *string, ask func() (string, error)) *mfaPrompt {
	if serial == nil {
		return nil
	}
	return &mfaPrompt{serial: *serial, ask: ask}
}

// code returns a six-digit code from the TokenProvider, or an error when ctx ends first.
func (m *mfaPrompt) code(ctx context.Context) (string, error) {
	pr := m.open()
	select {
	case <-pr.done:
	case <-ctx.Done():
		return "", fmt.Errorf("awssts: TokenProvider for MFA device %s did not answer in time: %w", m.serial, ctx.Err())
	}
	switch {
	case pr.err != nil:
		return "", needsUser{fmt.Errorf("awssts: TokenProvider for MFA device %s: %w", m.serial, pr.err)}
	case !tokenCodeChars.MatchString(pr.code):
		return "", needsUser{fmt.Errorf("awssts: TokenProvider for MFA device %s: the code must be 6 digits", m.serial)}
	}
	return pr.code, nil
}

// open returns the prompt open for m's device, opening one if there is none.
func (m *mfaPrompt) open() *prompt {
	prompts.Lock()
	defer prompts.Unlock()
	if pr := prompts.open[m.serial]; pr != nil {
		return pr
	}
	pr := &prompt{done: make(chan struct{})}
	if prompts.open == nil {
		prompts.open = make(map[string]*prompt)
	}
	prompts.open[m.serial] = pr
	go func() {
		pr.code, pr.err = m.ask()
		prompts.Lock()
		delete(prompts.open, m.serial)
		prompts.Unlock()
		close(pr.done)
	}()
	return pr
}

// needsUser is an error that only the person behind a TokenProvider can fix.
type needsUser struct{ error }

func (e needsUser) Unwrap() error           { return e.error }
func (needsUser) minBackoff() time.Duration { return userBackoff }
