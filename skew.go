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

// toLocalClock converts creds.Expires from the source's clock to this machine's, and keeps
// the skew for Stats. An implausible skew is ignored with a Warn: one over 12 h, or one that
// would lengthen the credentials' life by more than that life (by more than the Date header
// can tell). A skew that shortens it is not bounded so: ignoring a true one would sign with
// credentials that STS calls expired. It returns the log line to write once p.mu is released. p.mu must be held.
func (p *Provider) toLocalClock(creds aws.Credentials, skew time.Duration, now time.Time) (aws.Credentials, func()) {
	if skew == 0 {
		p.stats.ClockSkew, p.skewWarned = 0, 0
		return creds, nil
	}
	logger, src := p.logger, p.src.String()
	abs := skew.Abs()
	if abs > maxSkew || skew < 0 && creds.CanExpire && abs > creds.Expires.Sub(now.Add(skew))+skewResolution {
		p.stats.ClockSkew = 0
		return creds, func() {
			logger.Warn("awssts: ignoring an implausible clock skew from the source's Date header", "source", src, "skew", skew.String())
		}
	}
	p.stats.ClockSkew = skew
	if creds.CanExpire {
		creds.Expires = creds.Expires.Add(-skew)
	}
	if abs <= warnSkew {
		p.skewWarned = 0
		return creds, nil
	}
	if (skew - p.skewWarned).Abs() < skewResolution {
		return creds, nil
	}
	p.skewWarned = skew
	return creds, func() {
		logger.Warn("awssts: this machine's clock differs from the source's; expiry times are corrected for it",
			"source", src, "skew", skew.String(), "expiration", creds.Expires.UTC())
	}
}
