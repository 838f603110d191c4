package ststest

import (
	"fmt"
	"net/http"
	"time"
)

// signatureWindow is how far a request's X-Amz-Date may be from the server's clock, as on STS.
const signatureWindow = 5 * time.Minute

// SetClockSkew sets the server's clock to this machine's clock plus d, from the next request
// on. The Date header of every answer, every Expiration the server issues, and every check
// it makes that credentials have expired or that a signature is current follow that clock.
// It may be called at any time, also while requests are being served.
//
// A signed request whose X-Amz-Date is more than 5 minutes from the server's clock gets
// SignatureDoesNotMatch "Signature expired", as from STS. The SDK then measures the skew from
// the answer's Date header and signs again: its standard retryer retries at once with the
// corrected time, and every client remembers the skew for its next calls.
func (s *Server) SetClockSkew(d time.Duration) {
	s.skew.Store(int64(d))
}

// now is the time on the server's clock.
func (s *Server) now() time.Time {
	return time.Now().Add(time.Duration(s.skew.Load()))
}

// setDate sets the Date header of the answer from the server's clock; net/http would use
// this machine's.
func (s *Server) setDate(w http.ResponseWriter) {
	w.Header().Set("Date", s.now().UTC().Format(http.TimeFormat))
}

// checkSigningTime rejects a signature made more than signatureWindow away from now, with
// the messages of STS.
func checkSigningTime(signed, now time.Time) *apiError {
	now = now.UTC()
	switch {
	case signed.Before(now.Add(-signatureWindow)):
		return errSignature(fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - 5 min.)",
			signed.Format(amzDateFormat), now.Add(-signatureWindow).Format(amzDateFormat), now.Format(amzDateFormat)))
	case signed.After(now.Add(signatureWindow)):
		return errSignature(fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + 5 min.)",
			signed.Format(amzDateFormat), now.Add(signatureWindow).Format(amzDateFormat), now.Format(amzDateFormat)))
	}
	return nil
}
