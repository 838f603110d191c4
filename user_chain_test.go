package awssts_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/awssts/awssts"
	"github.com/awssts/awssts/ststest"
)

// NewSessionToken chained into New (the README's MFA-once pattern) with a TokenProvider that
// fails: the role Provider's error has one "awssts:" prefix and one retry note, as issue 17
// item 9 asks for "the chained MFA error".
func TestUserChainedMFA_TokenProviderFails_OnePrefixOneRetryNote(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := ststest.NewInMemoryServer()
		defer srv.Close()
		srv.AddUser(mfaUser, mfaSecret)
		srv.AddMFADevice(mfaSerial, "314159")
		srv.AddRole(mfaRole, time.Hour)
		srv.RequireMFA(mfaRole)
		var asked atomic.Int32
		cfg := inMemoryConfig(srv, mfaUser, mfaSecret)
		session, err := awssts.NewSessionToken(sts.NewFromConfig(cfg), func(o *awssts.Options) {
			o.SerialNumber = aws.String(mfaSerial)
			o.TokenProvider = func() (string, error) { asked.Add(1); return "", errors.New("no terminal") }
		})
		if err != nil {
			t.Fatal(err)
		}
		defer session.Close()
		cfg.Credentials = session
		p, err := awssts.NewFromConfig(cfg, mfaRole)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		for i := range 3 {
			_, err := p.Retrieve(context.Background())
			if err == nil {
				t.Fatal("Retrieve succeeded without an MFA code")
			}
			if n := strings.Count(err.Error(), "awssts: "); n != 1 {
				t.Errorf("Retrieve %d: %d \"awssts: \" prefixes in %q; want 1", i, n, err)
			}
			if n := strings.Count(err.Error(), "not retried until"); i > 0 && n != 1 {
				t.Errorf("Retrieve %d: %d retry notes in %q; want 1", i, n, err)
			}
			time.Sleep(time.Second)
		}
		if n := asked.Load(); n != 1 {
			t.Errorf("TokenProvider asked %d times in 3 s; want 1", n)
		}
	})
}
