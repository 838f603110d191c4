package awssts

import (
	"context"
	"fmt"
	"time"
	"weak"

	"github.com/aws/smithy-go/metrics"
	"github.com/aws/smithy-go/tracing"
)

// scope is the meter and tracer scope of every Provider.
const scope = "github.com/awssts/awssts"

// The outcomes of a source call, for awssts.outcome.
const (
	outcomeRenewed   = "renewed"
	outcomeUnchanged = "unchanged"
	outcomeFailed    = "failed"
)

// telemetry is a Provider's instruments, through the smithy-go interfaces that SDK clients
// take, so that the user's OpenTelemetry adapters serve both. Without a MeterProvider or
// TracerProvider they are smithy-go's no-ops. Nothing recorded holds a secret, a session
// token or an ExternalID.
type telemetry struct {
	tracer        tracing.Tracer
	calls         metrics.Int64Counter
	duration      metrics.Float64Histogram
	retrieveError metrics.Int64Counter
	async         []metrics.AsyncInstrument // stopped by Close
}

// newTelemetry makes p's instruments. The async gauges read p's state under p.mu, and hold p
// weakly, so that a MeterProvider does not keep alive a Provider dropped without Close (its
// gauges then observe nothing).
func newTelemetry(p *Provider, mp metrics.MeterProvider, tp tracing.TracerProvider) (telemetry, error) {
	if mp == nil {
		mp = metrics.NopMeterProvider{}
	}
	if tp == nil {
		tp = tracing.NopTracerProvider{}
	}
	m := mp.Meter(scope)
	t := telemetry{tracer: tp.Tracer(scope)}
	var err error
	if t.calls, err = m.Int64Counter("awssts.source.calls", describe("{call}", "Source calls, by source and outcome")); err != nil {
		return t, instrumentError("awssts.source.calls", err)
	}
	if t.duration, err = m.Float64Histogram("awssts.source.duration", describe("s", "Time of a source call")); err != nil {
		return t, instrumentError("awssts.source.duration", err)
	}
	if t.retrieveError, err = m.Int64Counter("awssts.retrieve.errors", describe("{call}", "Retrieve calls that returned an error")); err != nil {
		return t, instrumentError("awssts.retrieve.errors", err)
	}
	wp := weak.Make(p)
	observe := func(f func(*Provider, context.Context, metrics.Float64Observer)) metrics.Float64Callback {
		return func(ctx context.Context, o metrics.Float64Observer) {
			if p := wp.Value(); p != nil {
				f(p, ctx, o)
			}
		}
	}
	remaining, err := m.Float64AsyncGauge("awssts.credentials.remaining", observe((*Provider).observeRemaining),
		describe("s", "Time until the held credentials' real expiry; observed only while credentials are held"))
	if err != nil {
		return t, instrumentError("awssts.credentials.remaining", err)
	}
	skew, err := m.Float64AsyncGauge("awssts.clock.skew", observe((*Provider).observeSkew), describe("s", "The source's clock minus this machine's"))
	if err != nil {
		remaining.Stop()
		return t, instrumentError("awssts.clock.skew", err)
	}
	t.async = []metrics.AsyncInstrument{remaining, skew}
	return t, nil
}

func describe(unit, text string) metrics.InstrumentOption {
	return func(o *metrics.InstrumentOptions) { o.UnitLabel, o.Description = unit, text }
}

func instrumentError(name string, err error) error {
	return fmt.Errorf("awssts: MeterProvider could not make the instrument %s: %w", name, err)
}

// attrs are the attributes of a source call.
func attrs(action, outcome, region string) metrics.RecordMetricOption {
	return func(o *metrics.RecordMetricOptions) {
		o.Properties.Set("awssts.source", action)
		o.Properties.Set("awssts.outcome", outcome)
		if region != "" {
			o.Properties.Set("aws.region", region)
		}
	}
}

// startSpan starts the awssts.refresh span of a source call. Its context is the parent of
// the spans of an SDK client given the same TracerProvider.
func (t *telemetry) startSpan(ctx context.Context, action string) (context.Context, tracing.Span) {
	return t.tracer.StartSpan(ctx, "awssts.refresh", func(o *tracing.SpanOptions) {
		o.Kind = tracing.SpanKindInternal
		o.Properties.Set("awssts.source", action)
	})
}

// ended records a source call that began at start, and ends its span.
func (t *telemetry) ended(ctx context.Context, span tracing.Span, start time.Time, action, outcome, region string) {
	span.SetProperty("awssts.outcome", outcome)
	if region != "" {
		span.SetProperty("aws.region", region)
	}
	status := tracing.SpanStatusOK
	if outcome == outcomeFailed {
		status = tracing.SpanStatusError
	}
	span.SetStatus(status)
	span.End()
	t.calls.Add(ctx, 1, attrs(action, outcome, region))
	t.duration.Record(ctx, time.Since(start).Seconds(), attrs(action, outcome, region))
}

func (p *Provider) observeRemaining(ctx context.Context, o metrics.Float64Observer) {
	p.mu.Lock()
	held, expires := p.current.HasKeys() && p.current.CanExpire, p.current.Expires
	action := p.src.action()
	p.mu.Unlock()
	if held {
		o.Observe(ctx, time.Until(expires).Seconds(), func(ro *metrics.RecordMetricOptions) {
			ro.Properties.Set("awssts.source", action)
		})
	}
}

// observeSkew observes the skew of the answer that issued the held credentials; nothing
// before the first.
func (p *Provider) observeSkew(ctx context.Context, o metrics.Float64Observer) {
	p.mu.Lock()
	held, skew := p.current.HasKeys(), p.stats.ClockSkew
	p.mu.Unlock()
	if held {
		o.Observe(ctx, skew.Seconds(), func(ro *metrics.RecordMetricOptions) {
			ro.Properties.Set("awssts.source", p.src.action())
		})
	}
}
