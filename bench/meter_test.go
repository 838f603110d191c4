package bench

import (
	"context"
	"sync/atomic"

	"github.com/aws/smithy-go/metrics"
)

// countingMeter is a MeterProvider whose counters and histograms count what they are given,
// standing in for an OpenTelemetry adapter in row 1b.
type countingMeter struct {
	metrics.NopMeterProvider
	n atomic.Int64
}

func (m *countingMeter) Meter(string, ...metrics.MeterOption) metrics.Meter {
	return countingInstruments{m.NopMeterProvider.Meter(""), m}
}

type countingInstruments struct {
	metrics.Meter
	m *countingMeter
}

func (c countingInstruments) Int64Counter(string, ...metrics.InstrumentOption) (metrics.Int64Counter, error) {
	return counter{c.m}, nil
}

func (c countingInstruments) Float64Histogram(string, ...metrics.InstrumentOption) (metrics.Float64Histogram, error) {
	return counter{c.m}, nil
}

type counter struct{ m *countingMeter }

func (c counter) Add(context.Context, int64, ...metrics.RecordMetricOption)      { c.m.n.Add(1) }
func (c counter) Record(context.Context, float64, ...metrics.RecordMetricOption) { c.m.n.Add(1) }
