package web

import (
	"crypto/subtle"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"hoso/internal/errs"
)

// metrics is this server's Prometheus registry (not the global one).
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newMetrics(pool func() (total, idle, timeouts uint32)) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hoso_http_requests_total", Help: "HTTP requests by route, method and status.",
	}, []string{"route", "method", "status"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "hoso_http_request_duration_seconds", Help: "HTTP request latency by route.",
		Buckets: []float64{.002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"route", "method"})
	m.reg.MustRegister(m.requests, m.latency, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if pool != nil {
		gauge := func(name, help string, pick func(t, i, to uint32) uint32) {
			m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 {
				t, i, to := pool()
				return float64(pick(t, i, to))
			}))
		}
		gauge("hoso_db_pool_connections", "Open connections in the database pool.", func(t, _, _ uint32) uint32 { return t })
		gauge("hoso_db_pool_idle_connections", "Idle connections in the database pool.", func(_, i, _ uint32) uint32 { return i })
		gauge("hoso_db_pool_timeouts_total", "Times a request waited too long for a pool connection.", func(_, _, to uint32) uint32 { return to })
	}
	return m
}

func (m *metrics) observe(method, route string, status int, d time.Duration) {
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(route, method).Observe(d.Seconds())
}

// Registry lets other parts (the outbox relay, the alarm sweep) add their
// metrics to the same /metrics.
func (s *Server) Registry() *prometheus.Registry { return s.metrics.reg }

func (s *Server) metricsHandler() fiber.Handler {
	return adaptor.HTTPHandler(promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}))
}

// metricsAccess keeps /metrics (routes, pool sizes, queue lengths) from the
// public: with a token configured the scraper sends it as a bearer token;
// without one only a direct caller on the same machine is served (not one
// relayed by a proxy there, which adds X-Forwarded-For or Forwarded).
func (s *Server) metricsAccess(c *fiber.Ctx) error {
	if want := s.d.MetricsToken; want != "" {
		got, ok := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer ")
		if ok && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1 {
			return c.Next()
		}
		return errs.E(errs.Unauthorized, "Cần mã truy cập số liệu vận hành (HOSO_METRICS_TOKEN).")
	}
	direct := c.Get(fiber.HeaderXForwardedFor) == "" && c.Get("Forwarded") == ""
	if ip := c.Context().RemoteIP(); direct && ip != nil && ip.IsLoopback() {
		return c.Next()
	}
	return errs.E(errs.Forbidden, "Số liệu vận hành chỉ xem được từ chính máy chủ, hoặc với mã truy cập.")
}

// MetricFunc is a figure kept elsewhere in the process, read when /metrics
// is scraped.
type MetricFunc struct {
	Name, Help string
	Counter    bool // only ever grows (else a gauge)
	Value      func() float64
}

// ExportFuncs adds figures to /metrics.
func (s *Server) ExportFuncs(fs ...MetricFunc) error {
	for _, f := range fs {
		var c prometheus.Collector
		if f.Counter {
			c = prometheus.NewCounterFunc(prometheus.CounterOpts{Name: f.Name, Help: f.Help}, f.Value)
		} else {
			c = prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: f.Name, Help: f.Help}, f.Value)
		}
		if err := s.metrics.reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}
