package credserver

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"
)

// usableMargin is how long before their real expiry credentials stop counting as usable,
// as the library stops serving its own on failure.
const usableMargin = time.Minute

// containerCredentials is the body the SDKs' container providers read.
type containerCredentials struct {
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string
	Token           string
	Expiration      string
	AccountID       string `json:"AccountId,omitempty"`
}

// handler answers GET CredentialsPath with the current credentials, and GET HealthPath with
// the remaining seconds. A missing token is 401, a wrong one 403; the comparison takes the
// same time wherever the tokens differ.
func handler(p Provider, token string) http.Handler {
	want := []byte(token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		switch {
		case r.URL.Path != CredentialsPath && r.URL.Path != HealthPath:
			writeError(w, http.StatusNotFound, "NotFound", "no such path")
			return
		case r.Method != http.MethodGet:
			w.Header().Set("Allow", http.MethodGet)
			writeError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "only GET is allowed")
			return
		case r.URL.Path == HealthPath:
			health(w, p)
			return
		case r.Header.Get("Authorization") == "":
			writeError(w, http.StatusUnauthorized, "Unauthorized", "the Authorization header is missing")
			return
		case subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1:
			writeError(w, http.StatusForbidden, "Forbidden", "the Authorization token is wrong")
			return
		}
		creds, err := p.Retrieve(r.Context())
		if err != nil {
			code := "AssumeRoleFailed"
			if apiErr := smithy.APIError(nil); errors.As(err, &apiErr) {
				code = apiErr.ErrorCode()
			}
			writeError(w, http.StatusBadGateway, code, err.Error())
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(containerCredentials{
			AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey, Token: creds.SessionToken,
			Expiration: RealExpiry(p, creds).UTC().Format(time.RFC3339), AccountID: creds.AccountID,
		})
	})
}

// health answers 200 while p holds credentials that are usable, that is while Retrieve would
// serve them (Stats().Usable: not after a refusal past their refresh time) and more than
// usableMargin before they expire, else 503, with the whole seconds they have left as the
// body. It makes no call and never waits on the source.
func health(w http.ResponseWriter, p Provider) {
	st := p.Stats()
	left := time.Duration(0)
	if st.AccessKeyID != "" && !st.Expiration.IsZero() {
		left = max(0, time.Until(st.Expiration))
	}
	status := http.StatusOK
	if !st.Usable || left <= usableMargin {
		status = http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(status)
	w.Write([]byte(strconv.FormatInt(int64(left/time.Second), 10)))
}

// RealExpiry is the STS expiry of creds. Retrieve reports when they will be refreshed; Stats
// has the real time, and the key ID tells whether both describe the same credentials.
func RealExpiry(p Provider, creds aws.Credentials) time.Time {
	if st := p.Stats(); st.AccessKeyID == creds.AccessKeyID {
		return st.Expiration
	}
	return creds.Expires
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"code": code, "message": msg})
}
