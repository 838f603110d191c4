package awssts_test

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"testing/synctest"
	"time"
	"weak"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/metrics"

	"github.com/awssts/awssts"
	"github.com/awssts/awssts/ststest"
)

// unitMeter is fakeMeter that also keeps the unit each instrument was made with.
type unitMeter struct {
	*fakeMeter
	mu    sync.Mutex
	units map[string]string
}

func newUnitMeter() *unitMeter {
	return &unitMeter{fakeMeter: &fakeMeter{}, units: map[string]string{}}
}

func (u *unitMeter) Meter(scope string, o ...metrics.MeterOption) metrics.Meter {
	return unitInstruments{u.fakeMeter.Meter(scope, o...).(fakeInstruments), u}
}

func (u *unitMeter) unit(name string, opts []metrics.InstrumentOption) {
	var o metrics.InstrumentOptions
	for _, fn := range opts {
		fn(&o)
	}
	u.mu.Lock()
	u.units[name] = o.UnitLabel
	u.mu.Unlock()
}

type unitInstruments struct {
	fakeInstruments
	u *unitMeter
}

func (i unitInstruments) Int64Counter(name string, o ...metrics.InstrumentOption) (metrics.Int64Counter, error) {
	i.u.unit(name, o)
	return i.fakeInstruments.Int64Counter(name, o...)
}

func (i unitInstruments) Float64Histogram(name string, o ...metrics.InstrumentOption) (metrics.Float64Histogram, error) {
	i.u.unit(name, o)
	return i.fakeInstruments.Float64Histogram(name, o...)
}

func (i unitInstruments) Float64AsyncGauge(name string, cb metrics.Float64Callback, o ...metrics.InstrumentOption) (metrics.AsyncInstrument, error) {
	i.u.unit(name, o)
	return i.fakeInstruments.Float64AsyncGauge(name, cb, o...)
}

// Every constructor takes a MeterProvider and TracerProvider; each makes the five
// instruments of the README table with its units; one Retrieve counts one source call with
// the source's name, outcome and region, inside an ended awssts.refresh span; the remaining
// time and skew are observed with awssts.source; Close stops both gauges.
func TestUser2_Telemetry_EveryConstructorTableAndUnits(t *testing.T) {
	wantUnits := map[string]string{
		"awssts.source.calls": "{call}", "awssts.source.duration": "s", "awssts.credentials.remaining": "s",
		"awssts.retrieve.errors": "{call}", "awssts.clock.skew": "s",
	}
	type made struct {
		p      *awssts.Provider
		action string
		region string
	}
	constructors := map[string]func(t *testing.T, m metrics.MeterProvider, tr *fakeTracer) made{
		"New": func(t *testing.T, m metrics.MeterProvider, tr *fakeTracer) made {
			srv := ststest.NewInMemoryServer()
			t.Cleanup(srv.Close)
			srv.AddUser(u2User, u2Secret)
			srv.AddRole(u2Role, 0)
			p, err := awssts.New(sts.NewFromConfig(inMemoryConfig(srv, u2User, u2Secret)), u2Role, func(o *awssts.Options) {
				o.MeterProvider, o.TracerProvider = m, tr
			})
			if err != nil {
				t.Fatal(err)
			}
			return made{p, "AssumeRole", "us-east-1"}
		},
		"NewWebIdentity": func(t *testing.T, m metrics.MeterProvider, tr *fakeTracer) made {
			srv := ststest.NewInMemoryServer()
			t.Cleanup(srv.Close)
			srv.AddRole(u2Role, 0)
			srv.AddWebIdentityToken("user2-token")
			p, err := awssts.NewWebIdentity(sts.NewFromConfig(inMemoryConfig(srv, "", "")), u2Role,
				stscreds.IdentityTokenRetriever(staticToken("user2-token")), func(o *awssts.Options) {
					o.MeterProvider, o.TracerProvider = m, tr
				})
			if err != nil {
				t.Fatal(err)
			}
			return made{p, "AssumeRoleWithWebIdentity", "us-east-1"}
		},
		"NewSessionToken": func(t *testing.T, m metrics.MeterProvider, tr *fakeTracer) made {
			srv := ststest.NewInMemoryServer()
			t.Cleanup(srv.Close)
			srv.AddUser(u2User, u2Secret)
			p, err := awssts.NewSessionToken(sts.NewFromConfig(inMemoryConfig(srv, u2User, u2Secret)), func(o *awssts.Options) {
				o.MeterProvider, o.TracerProvider = m, tr
			})
			if err != nil {
				t.Fatal(err)
			}
			return made{p, "GetSessionToken", "us-east-1"}
		},
		"Wrap": func(t *testing.T, m metrics.MeterProvider, tr *fakeTracer) made {
			src := credentials.StaticCredentialsProvider{Value: aws.Credentials{AccessKeyID: "ASIAWRAPPED", SecretAccessKey: "s",
				CanExpire: true, Expires: time.Now().Add(time.Hour)}}
			p, err := awssts.Wrap(src, func(o *awssts.WrapOptions) { o.MeterProvider, o.TracerProvider = m, tr })
			if err != nil {
				t.Fatal(err)
			}
			return made{p, "Wrap", ""}
		},
		"NewRolesAnywhere": func(t *testing.T, m metrics.MeterProvider, tr *fakeTracer) made {
			pk, srv := raInMemory(t, "P-256", true)
			p, err := awssts.NewRolesAnywhere(pk.leaf, pk.key, raAnchor, raProfile, raRole, func(o *awssts.RolesAnywhereOptions) {
				o.Chain, o.BaseEndpoint, o.HTTPClient = pk.chain(), srv.URL, srv.Client()
				o.MeterProvider, o.TracerProvider = m, tr
			})
			if err != nil {
				t.Fatal(err)
			}
			return made{p, "CreateSession", "eu-west-1"}
		},
	}
	for name, construct := range constructors {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				m, tr := newUnitMeter(), &fakeTracer{}
				c := construct(t, m, tr)
				defer c.p.Close()
				for inst, unit := range wantUnits {
					if got, ok := m.units[inst]; !ok || got != unit {
						t.Errorf("instrument %s: made %v, unit %q; want unit %q", inst, ok, got, unit)
					}
				}
				if _, err := c.p.Retrieve(context.Background()); err != nil {
					t.Fatal(err)
				}
				synctest.Wait()
				want := map[string]string{"awssts.source": c.action, "awssts.outcome": "renewed"}
				if c.region != "" {
					want["aws.region"] = c.region
				}
				if n := len(m.find("awssts.source.calls", want)); n != 1 {
					t.Errorf("%d awssts.source.calls with %v, want 1:\n%s", n, want, m.allText())
				}
				if n := len(m.find("awssts.source.duration", want)); n != 1 {
					t.Errorf("%d awssts.source.duration with %v, want 1", n, want)
				}
				m.collect()
				if got := m.find("awssts.credentials.remaining", map[string]string{"awssts.source": c.action}); len(got) != 1 || got[0].value <= 0 {
					t.Errorf("awssts.credentials.remaining = %v, want one positive point", got)
				}
				if got := m.find("awssts.clock.skew", map[string]string{"awssts.source": c.action}); len(got) != 1 {
					t.Errorf("awssts.clock.skew = %v, want one point", got)
				}
				spans := tr.named("awssts.refresh")
				tr.mu.Lock()
				if len(spans) != 1 || spans[0].ended != 1 || spans[0].props.Get("awssts.source") != c.action || spans[0].props.Get("awssts.outcome") != "renewed" {
					t.Errorf("awssts.refresh spans %d, want 1 ended, with %s and renewed", len(spans), c.action)
				}
				tr.mu.Unlock()
				c.p.Close()
				m.mu.Lock()
				left := len(m.callbacks)
				m.mu.Unlock()
				if left != 0 {
					t.Errorf("%d async callbacks left after Close", left)
				}
			})
		})
	}
}

// The README's lifecycle promise: a Provider with prefetch that the program drops without
// Close is garbage-collected, and its goroutine stops calling the source. A MeterProvider
// keeps the async gauges' callbacks, as OpenTelemetry's does until they are unregistered.
//
// Expected: with a MeterProvider set, a dropped Provider is still collected and makes no
// more source calls.
func TestUser2_Telemetry_DroppedProviderWithAMeterIsCollected(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := ststest.NewInMemoryServer()
		defer srv.Close()
		srv.AddUser(u2User, u2Secret)
		srv.AddRole(u2Role, 0)
		m := &fakeMeter{}
		p, err := awssts.New(sts.NewFromConfig(inMemoryConfig(srv, u2User, u2Secret)), u2Role, func(o *awssts.Options) {
			o.MeterProvider, o.Prefetch = m, true
		})
		if err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		wp := weak.Make(p)
		p = nil
		for i := 0; wp.Value() != nil && i < 10; i++ {
			runtime.GC()
		}
		if alive := wp.Value(); alive != nil {
			alive.Close() // or the bubble never ends
			t.Fatal("a Provider with a MeterProvider, dropped without Close, is still reachable: its prefetch goroutine renews it forever and its gauges report it")
		}
		synctest.Wait()
		before := len(calls(srv, "AssumeRole"))
		time.Sleep(6 * time.Hour)
		if n := len(calls(srv, "AssumeRole")); n != before {
			t.Errorf("%d AssumeRole calls after the Provider was dropped", n-before)
		}
		runtime.KeepAlive(m) // the program's MeterProvider lives on
	})
}

// Get's Options are "told apart by value", the Logger alone left out of the key. Two services
// in one process ask Get for the same role, each with its own MeterProvider (two meters of
// one OTel SDK, or the second after a test harness swapped it).
//
// Expected: the second caller's MeterProvider sees the instruments (or Get documents that
// MeterProvider and TracerProvider are left out of the key, as it does for the Logger).
func TestUser2_Get_SecondMeterProviderIsNotIgnored(t *testing.T) {
	srv := ststest.NewServer()
	defer srv.Close()
	srv.AddUser(u2User, u2Secret)
	srv.AddRole(u2Role, 0)
	t.Setenv("AWS_ENDPOINT_URL_STS", srv.URL)
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	t.Cleanup(awssts.CloseShared)
	first, second := newUnitMeter(), newUnitMeter()
	for _, m := range []*unitMeter{first, second} {
		if _, err := awssts.Get(t.Context(), u2User, u2Secret, u2Role, "us-east-1", func(o *awssts.Options) { o.MeterProvider = m }); err != nil {
			t.Fatal(err)
		}
	}
	if len(first.units) == 0 {
		t.Fatal("the first Get's MeterProvider got no instruments")
	}
	second.collect()
	if len(second.units) == 0 && len(second.find("awssts.credentials.remaining", nil)) == 0 {
		t.Errorf("the second Get's MeterProvider got no instrument and no observation: Get shared the first caller's Provider and silently dropped it (AssumeRole calls: %d)",
			len(calls(srv, "AssumeRole")))
	}
}
