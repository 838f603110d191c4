package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/awssts/awssts"

	"github.com/awssts/awssts/internal/credcache"
)

// failingSTS wraps fakeSTS and fails while down is set.
type failingSTS struct {
	fakeSTS
	mu     sync.Mutex
	down   bool
	refuse string // an STS error code that refuses the source
}

func (f *failingSTS) AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, o ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	f.mu.Lock()
	down, refuse := f.down, f.refuse
	f.mu.Unlock()
	if refuse != "" {
		return nil, &smithy.OperationError{ServiceID: "STS", OperationName: "AssumeRole", Err: &smithy.GenericAPIError{Code: refuse, Message: "refused"}}
	}
	if down {
		return nil, errors.New("api error ServiceUnavailable: STS is down")
	}
	return f.fakeSTS.AssumeRole(ctx, in, o...)
}

func (f *failingSTS) calls() int {
	f.fakeSTS.mu.Lock()
	defer f.fakeSTS.mu.Unlock()
	return f.fakeSTS.n
}

// process builds what one awssts process builds for a one-hour session: a Provider whose STS
// client goes through the cache, here of the test's directory.
func process(t *testing.T, client *failingSTS, warnings *[]string, prefetch bool) *awssts.Provider {
	t.Helper()
	c := credcache.New(func(format string, args ...any) { *warnings = append(*warnings, fmt.Sprintf(format, args...)) })
	cached := &cachedAssumeRole{client: client, cache: c, key: credcache.Key{RoleARN: roleARN}.Hash(), window: serveWindow}
	p, err := awssts.New(cached, roleARN, func(o *awssts.Options) { o.Duration, o.ExpiryWindow, o.Prefetch = time.Hour, serveWindow, prefetch })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// Credentials are served from the cache while they are more than the window (16 min for an
// hour) from their real expiry, and renewed from then on.
func TestCachedAssumeRole_ServesUntilTheWindow(t *testing.T) {
	t.Setenv(credcache.DirVariable, t.TempDir())
	synctest.Test(t, func(t *testing.T) {
		sts := &failingSTS{}
		var warnings []string
		first, err := process(t, sts, &warnings, false).Retrieve(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Hour - serveWindow - time.Second)
		hit, err := process(t, sts, &warnings, false).Retrieve(t.Context())
		if err != nil || hit.AccessKeyID != first.AccessKeyID || sts.calls() != 1 {
			t.Errorf("1 s before the window: %s (%v), %d calls; want the cached %s and 1 call", hit.AccessKeyID, err, sts.calls(), first.AccessKeyID)
		}
		time.Sleep(2 * time.Second)
		renewed, err := process(t, sts, &warnings, false).Retrieve(t.Context())
		if err != nil || renewed.AccessKeyID == first.AccessKeyID || sts.calls() != 2 {
			t.Errorf("1 s into the window: %s (%v), %d calls; want new credentials", renewed.AccessKeyID, err, sts.calls())
		}
		if len(warnings) != 0 {
			t.Errorf("warnings %q", warnings)
		}
	})
}

// Two long-running processes share each renewal: the one whose prefetch comes first calls
// STS, and the other's prefetch takes its entry rather than the credentials it holds.
func TestCachedAssumeRole_PrefetchesShareOneCall(t *testing.T) {
	t.Setenv(credcache.DirVariable, t.TempDir())
	synctest.Test(t, func(t *testing.T) {
		sts := &failingSTS{}
		var warnings []string
		a := process(t, sts, &warnings, true)
		synctest.Wait()
		b := process(t, sts, &warnings, true)
		synctest.Wait()
		if sts.calls() != 1 {
			t.Fatalf("%d calls for two processes started together, want 1", sts.calls())
		}
		time.Sleep(3 * time.Hour)
		synctest.Wait()
		ca, _ := a.Retrieve(t.Context())
		cb, _ := b.Retrieve(t.Context())
		// One process alone renews every 60 - 16 min - the prefetch lead (50 s + 0-96 s of
		// jitter), so 4 times in 3 h: 5 calls. The second must add none.
		if n := sts.calls(); n != 5 || ca.AccessKeyID != cb.AccessKeyID {
			t.Errorf("after 3 h: %d calls, keys %s and %s; want 5 calls, as for one process, and the same keys", n, ca.AccessKeyID, cb.AccessKeyID)
		}
	})
}

// When STS fails, a new process is served the cached credentials while they are more than a
// minute from expiry, with a warning; after that it gets the error.
func TestCachedAssumeRole_StaleOnFailure(t *testing.T) {
	t.Setenv(credcache.DirVariable, t.TempDir())
	synctest.Test(t, func(t *testing.T) {
		sts := &failingSTS{}
		var warnings []string
		first, _ := process(t, sts, &warnings, false).Retrieve(t.Context())
		sts.down = true
		time.Sleep(time.Hour - 2*time.Minute)
		stale, err := process(t, sts, &warnings, false).Retrieve(t.Context())
		if err != nil || stale.AccessKeyID != first.AccessKeyID {
			t.Errorf("STS down, 2 min before expiry: %s, %v; want the cached credentials", stale.AccessKeyID, err)
		}
		if len(warnings) != 1 || !strings.Contains(warnings[0], "STS is down") || !strings.Contains(warnings[0], "using the cached credentials") {
			t.Errorf("warnings %q: want one naming the failure", warnings)
		}
		time.Sleep(time.Minute + time.Second)
		if _, err := process(t, sts, &warnings, false).Retrieve(t.Context()); err == nil || !strings.Contains(err.Error(), "STS is down") {
			t.Errorf("STS down, under 1 min before expiry: %v, want the STS error", err)
		}
	})
}

// A refusal from STS is not an outage: the cached credentials of that source are not served,
// however long they would last, and the entry is removed.
func TestCachedAssumeRole_RefusalIsNeverStale(t *testing.T) {
	for _, code := range []string{"InvalidClientTokenId", "SignatureDoesNotMatch", "InvalidIdentityToken", "ExpiredTokenException", "AccessDenied",
		"RegionDisabledException", "ValidationError"} {
		t.Run(code, func(t *testing.T) {
			t.Setenv("AWSSTS_CACHE_DIR", t.TempDir())
			synctest.Test(t, func(t *testing.T) {
				sts := &failingSTS{}
				var warnings []string
				if _, err := process(t, sts, &warnings, false).Retrieve(t.Context()); err != nil {
					t.Fatal(err)
				}
				sts.refuse = code
				time.Sleep(time.Hour - serveWindow + time.Second) // due for renewal, usable for 15 min
				if c, err := process(t, sts, &warnings, false).Retrieve(t.Context()); err == nil || !strings.Contains(err.Error(), code) {
					t.Errorf("after %s: %s, %v; want the refusal", code, c.AccessKeyID, err)
				}
				if files := entryFiles(t); len(files) != 0 {
					t.Errorf("entries %v left after %s", files, code)
				}
				if len(warnings) != 0 {
					t.Errorf("warnings %q", warnings)
				}
			})
		})
	}
}
