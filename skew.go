package awssts

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
)

const (
	// skewResolution is what a Date header can tell: it has whole seconds, so a smaller
	// difference is noise and counts as none.
	skewResolution = 2 * time.Second
	// warnSkew is the skew above which a Warn is logged, once per change.
	warnSkew = time.Minute
	// maxSkew is the largest skew believed; a larger one comes from a bad header.
	maxSkew = 12 * time.Hour
)

// ResponseClockSkew is the answering server's clock minus this machine's, from the Date header
// that the SDK recorded in an output's ResultMetadata (out.ResultMetadata), to the second; 0 when
// there is none, or when it is under the 2 s that a Date header can tell. The STS sources of a
// Provider correct every expiry by it.
func ResponseClockSkew(md middleware.Metadata) time.Duration {
	skew, ok := awsmiddleware.GetAttemptSkew(md)
	if !ok || skew > -skewResolution && skew < skewResolution {
		return 0
	}
	// The header's whole seconds put the server's clock up to 1 s later than it says.
	if whole := skew.Truncate(time.Second); whole < skew {
		return whole + time.Second
	}
	return skew.Truncate(time.Second)
}

// skewState is what the Provider remembers of the skews its source reported.
type skewState struct {
	warned time.Duration // the skew last warned about; 0 when none
}

// believable says whether the skew of a is to be believed: at most 12 h, and, when it moves
// the expiry later (this machine's clock ahead of the source's), not beyond what the source
// issues. A source that says how long it issues credentials for (DurationSeconds) gives the
// exact bound: an honest skew puts the expiry no later than now plus that life, however
// short the sessions and however large the skew. Without it, the skew may lengthen the life
// by no more than the life itself.
func believable(a answer, now time.Time) bool {
	skew, creds := a.skew, a.creds
	switch {
	case skew.Abs() > maxSkew:
		return false
	case skew > 0 || !creds.CanExpire:
		return true
	case a.life > 0:
		return !creds.Expires.Add(-skew).After(now.Add(a.life + skewResolution))
	}
	return -skew <= creds.Expires.Sub(now.Add(skew))+skewResolution
}

// toLocalClock converts a.creds.Expires from the source's clock to this machine's. A skew
// that is not believable is ignored with a Warn. A skew that shortens the life is always
// applied: ignoring a true one would sign with credentials that the source calls expired.
// When keep is set, the skew is kept for Stats. It returns the log line to write once p.mu is
// released. p.mu must be held.
func (p *Provider) toLocalClock(a answer, now time.Time, keep bool) (aws.Credentials, func()) {
	creds, skew := a.creds, a.skew
	logger, src := p.logger, p.src.String()
	switch {
	case skew == 0:
		if keep {
			p.stats.ClockSkew, p.skew.warned = 0, 0
		}
		return creds, nil
	case !believable(a, now):
		if keep {
			p.stats.ClockSkew = 0
		}
		return creds, func() {
			logger.Warn("awssts: ignoring an implausible clock skew from the source's Date header", "source", src, "skew", skew.String())
		}
	}
	if creds.CanExpire {
		creds.Expires = creds.Expires.Add(-skew)
	}
	if !keep {
		return creds, nil
	}
	return creds, p.warnSkew(skew, src, creds.Expires)
}

// warnSkew keeps a believed skew for Stats, and returns a Warn to log once per change of more
// than a Date header can tell. p.mu must be held.
func (p *Provider) warnSkew(skew time.Duration, src string, expires time.Time) func() {
	p.stats.ClockSkew = skew
	if skew.Abs() <= warnSkew {
		p.skew.warned = 0
		return nil
	}
	if (skew - p.skew.warned).Abs() < skewResolution {
		return nil
	}
	p.skew.warned = skew
	logger := p.logger
	return func() {
		logger.Warn("awssts: this machine's clock differs from the source's; expiry times are corrected for it",
			"source", src, "skew", skew.String(), "expiration", expires.UTC())
	}
}
