package credcache

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"
)

// entryVersion is the Version of the entries this awssts writes; others are foreign.
const entryVersion = 2

// Entry is one cached set of credentials, or the record of the failed calls made for it.
type Entry struct {
	Version         int
	Key             string    // the SHA-256 the file is named after
	Action          string    // AssumeRole, GetSessionToken or CreateSession
	RoleARN         string    `json:",omitempty"`
	MFASerial       string    `json:",omitempty"`
	AccessKeyID     string    `json:",omitempty"`
	SecretAccessKey string    `json:",omitempty"`
	SessionToken    string    `json:",omitempty"`
	Expiration      time.Time // the real expiry, on this machine's clock
	AssumedRoleUser string    `json:",omitempty"`
	AccountID       string    `json:",omitempty"` // of a source whose answer has no AssumedRoleUser

	// Attempts are the times of the failed STS calls in the last AttemptWindow, and
	// LastError the latest one's message (STS's words, no secret).
	Attempts  []time.Time `json:",omitempty"`
	LastError string      `json:",omitempty"`
}

// HasCredentials reports whether e holds credentials rather than only a failure record.
func (e Entry) HasCredentials() bool {
	return e.AccessKeyID != "" && e.SecretAccessKey != "" && !e.Expiration.IsZero()
}

// Remaining is how long e's credentials last from now.
func (e Entry) Remaining(now time.Time) time.Duration { return e.Expiration.Sub(now) }

func (e Entry) valid(key string) bool {
	return e.Version == entryVersion && e.Key == key && (e.HasCredentials() || len(e.Attempts) > 0)
}

// recent are the attempts within AttemptWindow before now.
func (e Entry) recent(now time.Time) []time.Time {
	var r []time.Time
	for _, t := range e.Attempts {
		if now.Sub(t) < AttemptWindow && !t.After(now) {
			r = append(r, t)
		}
	}
	return r
}

// Key is what makes one session differ from another. It holds no secret, only digests of
// them, and the file name is only its SHA-256.
type Key struct {
	Action, Source, Region, Endpoint string
	RoleARN, SessionPrefix           string `json:",omitempty"`
	Duration                         time.Duration
	ExternalID, Policy               string `json:",omitempty"`
	SourceIdentity, MFASerial        string `json:",omitempty"`
	// FailoverRegions are the regions asked after Region, in order: another list is
	// another way to the credentials, and so another entry.
	FailoverRegions []string `json:",omitempty"`
	// TrustAnchorARN and ProfileARN are those of a Roles Anywhere CreateSession, whose
	// Source is the certificate's fingerprint and its chain's.
	TrustAnchorARN, ProfileARN string `json:",omitempty"`
}

// Hash is the name of k's entry.
func (k Key) Hash() string {
	b, _ := json.Marshal(k) // a struct of strings and an integer always encodes
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
