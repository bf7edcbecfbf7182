package outbox

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the relay's Prometheus series.
type Metrics struct {
	depth    *prometheus.GaugeVec
	oldest   *prometheus.GaugeVec
	attempts *prometheus.CounterVec
	failures *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// NewMetrics creates the relay's series and registers them on reg (the web
// server's registry, so they appear on /metrics). Registering twice on the
// same registry returns the series already there.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		depth: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "hoso_outbox_queue_depth",
			Help: "Outbox rows not yet delivered, by topic and state (pending, dead)."}, []string{"topic", "state"}),
		oldest: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "hoso_outbox_oldest_age_seconds",
			Help: "Age of the oldest pending (not dead) outbox row, by topic."}, []string{"topic"}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hoso_outbox_attempts_total",
			Help: "Delivery attempts by topic and outcome (sent, skipped, retry, dead, deferred, discarded)."}, []string{"topic", "outcome"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hoso_outbox_failures_total",
			Help: "Failed delivery attempts by topic and reason (timeout, network, http_4xx, http_5xx, redirect, refused, config, blocked_address, other)."},
			[]string{"topic", "reason"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "hoso_outbox_delivery_seconds",
			Help:    "Time from the commit of an outbox row to its delivery, by topic.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600}},
			[]string{"topic"}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.depth, m.oldest, m.attempts, m.failures, m.latency} {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if !errors.As(err, &are) {
				return nil, err
			}
			switch existing := are.ExistingCollector.(type) {
			case *prometheus.GaugeVec:
				if c == prometheus.Collector(m.depth) {
					m.depth = existing
				} else {
					m.oldest = existing
				}
			case *prometheus.CounterVec:
				if c == prometheus.Collector(m.attempts) {
					m.attempts = existing
				} else {
					m.failures = existing
				}
			case *prometheus.HistogramVec:
				m.latency = existing
			}
		}
	}
	return m, nil
}
