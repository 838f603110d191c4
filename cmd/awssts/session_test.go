package main

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/awssts/awssts"
	"github.com/awssts/awssts/internal/credcache"
)

type noSessionSTS struct{}

func (noSessionSTS) GetSessionToken(context.Context, *sts.GetSessionTokenInput, ...func(*sts.Options)) (*sts.GetSessionTokenOutput, error) {
	return nil, errors.New("not called")
}

// A refusal of the MFA session's own credentials drops the cached session; a refusal of the
// role or the request (which every refusal now counts as) keeps it, so no new code is asked.
func TestCachedSession_ForgetOnlyTheSessionsRefusals(t *testing.T) {
	for code, dropped := range map[string]bool{"ExpiredToken": true, "InvalidClientTokenId": true, "SignatureDoesNotMatch": true,
		"AccessDenied": false, "RegionDisabledException": false, "ValidationError": false} {
		t.Run(code, func(t *testing.T) {
			t.Setenv(credcache.DirVariable, t.TempDir())
			store := credcache.New(func(string, ...any) {})
			p, err := awssts.NewSessionToken(noSessionSTS{})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			s := &cachedSession{p: p, cache: store, key: credcache.Key{Action: "GetSessionToken"}.Hash(), serial: "arn:aws:iam::123456789012:mfa/u"}
			fresh := func(credcache.Entry) bool { return true }
			stored := credcache.Entry{Action: "GetSessionToken", MFASerial: s.serial, AccessKeyID: "ASIASESSION", SecretAccessKey: "s", SessionToken: "t",
				Expiration: time.Now().Add(time.Hour)}
			if _, _, err := store.Through(t.Context(), credcache.Lookup{Key: s.key, Fresh: fresh}, func() (credcache.Entry, error) { return stored, nil }); err != nil {
				t.Fatal(err)
			}
			s.forget(&smithy.OperationError{ServiceID: "STS", OperationName: "AssumeRole", Err: &smithy.GenericAPIError{Code: code}})
			_, hit, _ := store.Through(t.Context(), credcache.Lookup{Key: s.key, Fresh: fresh}, func() (credcache.Entry, error) { return stored, nil })
			if hit == dropped {
				t.Errorf("after %s: cached session served %v, want dropped %v", code, hit, dropped)
			}
		})
	}
}
