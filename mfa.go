package awssts

import (
	"context"
	"fmt"
	"regexp"
	"sync"
)

var tokenCodeChars = regexp.MustCompile(`^[0-9]{6}$`)

// mfaPrompt runs a TokenProvider so that the call asking for a code can give up: the prompt
// goes on in a goroutine of its own, and a later call that finds it still running waits for
// its answer instead of starting a second prompt. An answer that nobody waits for any more is
// discarded.
type mfaPrompt struct {
	serial  string
	ask     func() (string, error)
	mu      sync.Mutex
	pending *prompt
}

type prompt struct {
	done chan struct{}
	code string
	err  error
}

func newMFAPrompt(serial *string, ask func() (string, error)) *mfaPrompt {
	if serial == nil {
		return nil
	}
	return &mfaPrompt{serial: *serial, ask: ask}
}

// code returns a six-digit code from the TokenProvider, or an error when ctx ends first.
func (m *mfaPrompt) code(ctx context.Context) (string, error) {
	m.mu.Lock()
	pr := m.pending
	if pr == nil {
		pr = &prompt{done: make(chan struct{})}
		m.pending = pr
		go func() {
			pr.code, pr.err = m.ask()
			m.mu.Lock()
			m.pending = nil
			m.mu.Unlock()
			close(pr.done)
		}()
	}
	m.mu.Unlock()
	select {
	case <-pr.done:
	case <-ctx.Done():
		return "", fmt.Errorf("awssts: TokenProvider for MFA device %s did not answer in time: %w", m.serial, ctx.Err())
	}
	switch {
	case pr.err != nil:
		return "", fmt.Errorf("awssts: TokenProvider for MFA device %s: %w", m.serial, pr.err)
	case !tokenCodeChars.MatchString(pr.code):
		return "", fmt.Errorf("awssts: TokenProvider for MFA device %s: the code must be 6 digits", m.serial)
	}
	return pr.code, nil
}
