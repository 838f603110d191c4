package ststest

import (
	"crypto/rand"
	"encoding/base64"
	"net/url"
	"strconv"
	"time"
)

// session is a set of temporary credentials the server issued, kept so that they can sign
// later requests.
type session struct {
	secret     string
	token      string
	expiration time.Time // on the server's clock
	arn        string    // arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION, or the user's
	userID     string    // AROA…:SESSION, or the user's
	account    string

	role bool // an assumed-role session, so an AssumeRole made with it is role chaining
	mfa  bool // authenticated with MFA, or obtained with credentials that were
}

const (
	expirationFormat = "2006-01-02T15:04:05Z"
	sessionTokenLen  = 400
)

// issue keeps sess as a new set of temporary credentials, valid for duration from now on the
// server's clock (or expired a second ago), and returns them as STS sends them. The session
// token has tokenLen characters. s.mu must be held.
func (s *Server) issue(sess session, duration time.Duration, expired bool, tokenLen int) credentialsXML {
	now := s.now().UTC().Truncate(time.Second)
	sess.expiration = now.Add(duration)
	if expired {
		sess.expiration = now.Add(-time.Second)
	}
	sess.secret = randomString(40)
	sess.token = randomString(tokenLen)
	akid := "ASIA" + randomID(16)
	s.sessions[akid] = sess
	return credentialsXML{
		AccessKeyID:     akid,
		SecretAccessKey: sess.secret,
		SessionToken:    sess.token,
		Expiration:      sess.expiration.Format(expirationFormat),
	}
}

// requestedDuration is the DurationSeconds of a validated request, or def when it has none.
func requestedDuration(params url.Values, def time.Duration) time.Duration {
	if d, ok := durationSeconds(params); ok {
		return time.Duration(d) * time.Second
	}
	return def
}

// tokenSize is the length of a new session token: the usual one, padded up to the
// MinimumSessionTokenSize asked for.
func tokenSize(params url.Values) int {
	n, _ := strconv.Atoi(params.Get("MinimumSessionTokenSize"))
	return max(sessionTokenLen, n)
}

// randomID returns n (at most 26) uppercase letters and digits from crypto/rand, in the base32
// alphabet of AWS key and role IDs.
func randomID(n int) string {
	return rand.Text()[:n]
}

// randomString returns n characters of standard base64 from crypto/rand, the alphabet of
// secret access keys and session tokens.
func randomString(n int) string {
	b := make([]byte, (n*3+3)/4)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)[:n]
}
