package awssts_test

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/metrics"
	"github.com/aws/smithy-go/tracing"
)

// fakeMeter is an in-memory metrics.MeterProvider: it keeps every measurement with its
// attributes, and runs the async callbacks that are registered when collect is called.
type fakeMeter struct {
	metrics.NopMeterProvider // the instruments it does not fake
	mu                       sync.Mutex
	scopes                   []string
	points                   []point
	callbacks                map[string]metrics.Float64Callback
	stopped                  []string
}

type point struct {
	name  string
	value float64
	attrs map[any]any
}

func (m *fakeMeter) Meter(scope string, _ ...metrics.MeterOption) metrics.Meter {
	m.mu.Lock()
	m.scopes = append(m.scopes, scope)
	m.mu.Unlock()
	return fakeInstruments{m}
}

func (m *fakeMeter) record(name string, v float64, opts []metrics.RecordMetricOption) {
	var o metrics.RecordMetricOptions
	for _, fn := range opts {
		fn(&o)
	}
	m.mu.Lock()
	m.points = append(m.points, point{name, v, o.Properties.Values()})
	m.mu.Unlock()
}

// collect runs the registered async callbacks once, as a metrics reader does.
func (m *fakeMeter) collect() {
	m.mu.Lock()
	cbs := make(map[string]metrics.Float64Callback, len(m.callbacks))
	for k, v := range m.callbacks {
		cbs[k] = v
	}
	m.mu.Unlock()
	for name, cb := range cbs {
		cb(context.Background(), observer{m, name})
	}
}

// find returns the points of name whose attributes include want.
func (m *fakeMeter) find(name string, want map[string]string) []point {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []point
	for _, p := range m.points {
		if p.name != name {
			continue
		}
		match := true
		for k, v := range want {
			if p.attrs[k] != v {
				match = false
			}
		}
		if match {
			out = append(out, p)
		}
	}
	return out
}

func (m *fakeMeter) allText() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return fmt.Sprint(m.points)
}

type fakeInstruments struct {
	m *fakeMeter
}

type instrument struct {
	m    *fakeMeter
	name string
}

func (i instrument) Add(_ context.Context, v int64, o ...metrics.RecordMetricOption) {
	i.m.record(i.name, float64(v), o)
}

type histogram instrument

func (h histogram) Record(_ context.Context, v float64, o ...metrics.RecordMetricOption) {
	h.m.record(h.name, v, o)
}

type observer instrument

func (o observer) Observe(_ context.Context, v float64, opts ...metrics.RecordMetricOption) {
	o.m.record(o.name, v, opts)
}

type asyncInstrument instrument

func (a asyncInstrument) Stop() {
	a.m.mu.Lock()
	defer a.m.mu.Unlock()
	delete(a.m.callbacks, a.name)
	a.m.stopped = append(a.m.stopped, a.name)
}

func (f fakeInstruments) Int64Counter(name string, _ ...metrics.InstrumentOption) (metrics.Int64Counter, error) {
	return instrument{f.m, name}, nil
}

func (f fakeInstruments) Float64Histogram(name string, _ ...metrics.InstrumentOption) (metrics.Float64Histogram, error) {
	return histogram{f.m, name}, nil
}

func (f fakeInstruments) Float64AsyncGauge(name string, cb metrics.Float64Callback, _ ...metrics.InstrumentOption) (metrics.AsyncInstrument, error) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if f.m.callbacks == nil {
		f.m.callbacks = map[string]metrics.Float64Callback{}
	}
	f.m.callbacks[name] = cb
	return asyncInstrument{f.m, name}, nil
}

// The rest are the no-op meter's: awssts uses none of them, and SDK clients get their own.
func (f fakeInstruments) Int64UpDownCounter(n string, o ...metrics.InstrumentOption) (metrics.Int64UpDownCounter, error) {
	return nopMeter().Int64UpDownCounter(n, o...)
}
func (f fakeInstruments) Int64Gauge(n string, o ...metrics.InstrumentOption) (metrics.Int64Gauge, error) {
	return nopMeter().Int64Gauge(n, o...)
}
func (f fakeInstruments) Int64Histogram(n string, o ...metrics.InstrumentOption) (metrics.Int64Histogram, error) {
	return nopMeter().Int64Histogram(n, o...)
}
func (f fakeInstruments) Int64AsyncCounter(n string, cb metrics.Int64Callback, o ...metrics.InstrumentOption) (metrics.AsyncInstrument, error) {
	return nopMeter().Int64AsyncCounter(n, cb, o...)
}
func (f fakeInstruments) Int64AsyncUpDownCounter(n string, cb metrics.Int64Callback, o ...metrics.InstrumentOption) (metrics.AsyncInstrument, error) {
	return nopMeter().Int64AsyncUpDownCounter(n, cb, o...)
}
func (f fakeInstruments) Int64AsyncGauge(n string, cb metrics.Int64Callback, o ...metrics.InstrumentOption) (metrics.AsyncInstrument, error) {
	return nopMeter().Int64AsyncGauge(n, cb, o...)
}
func (f fakeInstruments) Float64Counter(n string, o ...metrics.InstrumentOption) (metrics.Float64Counter, error) {
	return nopMeter().Float64Counter(n, o...)
}
func (f fakeInstruments) Float64UpDownCounter(n string, o ...metrics.InstrumentOption) (metrics.Float64UpDownCounter, error) {
	return nopMeter().Float64UpDownCounter(n, o...)
}
func (f fakeInstruments) Float64Gauge(n string, o ...metrics.InstrumentOption) (metrics.Float64Gauge, error) {
	return nopMeter().Float64Gauge(n, o...)
}
func (f fakeInstruments) Float64AsyncCounter(n string, cb metrics.Float64Callback, o ...metrics.InstrumentOption) (metrics.AsyncInstrument, error) {
	return nopMeter().Float64AsyncCounter(n, cb, o...)
}
func (f fakeInstruments) Float64AsyncUpDownCounter(n string, cb metrics.Float64Callback, o ...metrics.InstrumentOption) (metrics.AsyncInstrument, error) {
	return nopMeter().Float64AsyncUpDownCounter(n, cb, o...)
}

func nopMeter() metrics.Meter { return metrics.NopMeterProvider{}.Meter("") }

// fakeTracer is an in-memory tracing.TracerProvider whose spans find their parent in the
// context, as OpenTelemetry's do.
type fakeTracer struct {
	mu    sync.Mutex
	spans []*fakeSpan
}

type fakeSpan struct {
	t       *fakeTracer
	name    string
	scope   string
	parent  *fakeSpan
	props   smithy.Properties
	status  tracing.SpanStatus
	ended   int
	spanCtx tracing.SpanContext
}

type spanKey struct{}

type scopedTracer struct {
	t     *fakeTracer
	scope string
}

func (t *fakeTracer) Tracer(scope string, _ ...tracing.TracerOption) tracing.Tracer {
	return scopedTracer{t, scope}
}

func (s scopedTracer) StartSpan(ctx context.Context, name string, opts ...tracing.SpanOption) (context.Context, tracing.Span) {
	var o tracing.SpanOptions
	for _, fn := range opts {
		fn(&o)
	}
	parent, _ := ctx.Value(spanKey{}).(*fakeSpan)
	s.t.mu.Lock()
	sp := &fakeSpan{t: s.t, name: name, scope: s.scope, parent: parent, props: o.Properties,
		spanCtx: tracing.SpanContext{TraceID: "t", SpanID: fmt.Sprint(len(s.t.spans) + 1)}}
	s.t.spans = append(s.t.spans, sp)
	s.t.mu.Unlock()
	return context.WithValue(ctx, spanKey{}, sp), sp
}

func (s *fakeSpan) Name() string                            { return s.name }
func (s *fakeSpan) Context() tracing.SpanContext            { return s.spanCtx }
func (s *fakeSpan) AddEvent(string, ...tracing.EventOption) {}
func (s *fakeSpan) SetStatus(st tracing.SpanStatus)         { s.t.mu.Lock(); s.status = st; s.t.mu.Unlock() }
func (s *fakeSpan) SetProperty(k, v any)                    { s.t.mu.Lock(); s.props.Set(k, v); s.t.mu.Unlock() }
func (s *fakeSpan) End()                                    { s.t.mu.Lock(); s.ended++; s.t.mu.Unlock() }
func (t *fakeTracer) named(name string) (out []*fakeSpan) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, s := range t.spans {
		if s.name == name {
			out = append(out, s)
		}
	}
	return out
}
