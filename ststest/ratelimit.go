package ststest

import (
	"fmt"
	"math"
	"time"
)

// rateLimit is a token bucket: it holds up to burst tokens, refills at rate a second, and
// each call takes one. The zero value lets every call through.
type rateLimit struct {
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

// SetRateLimit limits the server to rate calls a second, with bursts of up to burst calls, as
// STS limits each account and region. Over the limit a call is answered 400 Throttling "Rate
// exceeded", as from STS, after any fault that Fail or Delay injected into it; Calls records it
// with ErrorCode "Throttling" and no Fault. Every action counts against one bucket, which starts
// full. SetRateLimit(0, 0) removes the limit. It panics on a negative rate, or on a burst below 1
// with a rate.
func (s *Server) SetRateLimit(rate float64, burst int) {
	if !(rate >= 0) || math.IsInf(rate, 1) || rate > 0 && burst < 1 || rate == 0 && burst != 0 {
		panic(fmt.Sprintf("ststest: SetRateLimit(%v, %d): want a rate above 0 and a burst of at least 1, or (0, 0) for no limit", rate, burst))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limit = rateLimit{rate: rate, burst: float64(burst), tokens: float64(burst), last: time.Now()}
}

// allow takes a token for a call arriving now, and reports whether there was one.
func (s *Server) allow(now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := &s.limit
	if l.rate == 0 {
		return true
	}
	l.tokens = min(l.burst, l.tokens+now.Sub(l.last).Seconds()*l.rate)
	l.last = now
	if l.tokens < 1 {
		return false
	}
	l.tokens--
	return true
}
