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
	reported time.Duration // the skew of the latest answer, believed or not
	warned   time.Duration // the skew last warned about; 0 when none
}

// implausible says whether skew is beyond belief on its own: over 12 h, or lengthening the
// life of creds (Expires on the source's clock) by more than that life.
func implausible(creds aws.Credentials, skew time.Duration, now time.Time) bool {
	abs := skew.Abs()
	return abs > maxSkew || skew < 0 && creds.CanExpire && abs > creds.Expires.Sub(now.Add(skew))+skewResolution
}

// confirmed says whether the previous answer reported skew too, to within what a Date header
// can tell: a skew that consecutive answers agree on is real, however short the sessions.
func (s skewState) confirmed(skew time.Duration) bool {
	return s.reported != 0 && (skew-s.reported).Abs() < skewResolution && skew.Abs() <= maxSkew
}

// skewNeedsConfirming says whether a's skew can only be believed once another answer reports
// it, and a's credentials are of no use without it; then it remembers the skew. p.mu must be held.
func (p *Provider) skewNeedsConfirming(a answer, now time.Time) bool {
	need := a.skew != 0 && a.skew.Abs() <= maxSkew && implausible(a.creds, a.skew, now) &&
		!p.skew.confirmed(a.skew) && a.creds.CanExpire && !a.creds.Expires.After(now)
	if need {
		p.skew.reported = a.skew
	}
	return need
}

// toLocalClock converts a.creds.Expires from the source's clock to this machine's. An
// implausible skew is ignored with a Warn unless the previous answer reported it too (see
// implausible and confirmed). A skew that shortens the life is not bounded so: ignoring a
// true one would sign with credentials that the source calls expired. When keep is set, the
// skew is kept for Stats. It returns the log line to write once p.mu is released. p.mu must
// be held.
func (p *Provider) toLocalClock(a answer, now time.Time, keep bool) (aws.Credentials, func()) {
	creds, skew := a.creds, a.skew
	logger, src := p.logger, p.src.String()
	believed := skew != 0 && (!implausible(creds, skew, now) || p.skew.confirmed(skew))
	var log func()
	switch {
	case skew == 0:
		if keep {
			p.stats.ClockSkew, p.skew.warned = 0, 0
		}
	case !believed:
		if keep {
			p.stats.ClockSkew = 0
		}
		log = func() {
			logger.Warn("awssts: ignoring an implausible clock skew from the source's Date header", "source", src, "skew", skew.String())
		}
	default:
		if creds.CanExpire {
			creds.Expires = creds.Expires.Add(-skew)
		}
		if keep {
			log = p.warnSkew(skew, src, creds.Expires)
		}
	}
	if keep {
		p.skew.reported = skew
	}
	return creds, log
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
