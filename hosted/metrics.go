package hosted

import (
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/mcp-codemode/mcp-codemode/tools"
)

// Metrics is what /metrics shows. It is the server.Observer of the
// executions and tool calls, and reads upstream health and the session
// count when scraped. Every metric is named mcp_codemode_*, next to the Go
// runtime's go_* and the process's process_* (open fds, RSS).
type Metrics struct {
	reg         *prometheus.Registry
	executions  *prometheus.CounterVec
	duration    prometheus.Histogram
	toolCalls   *prometheus.CounterVec
	memoryStops prometheus.Counter
	refusals    *prometheus.CounterVec
	runsDropped prometheus.Counter
	bus         *prometheus.CounterVec

	registry atomic.Pointer[tools.Registry]
	sessions atomic.Pointer[sessions]
}

// NewMetrics returns metrics on a registry of their own (not Prometheus's
// global one, so that two servers in one process do not collide).
func NewMetrics() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.executions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mcp_codemode_executions_total",
		Help: "Executions of execute, by outcome: ok, error (what the script did), timeout, cancelled, memory_limit, busy (turned away), internal.",
	}, []string{"outcome"})
	m.duration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "mcp_codemode_execution_duration_seconds",
		Help:    "Wall time of executions that ran.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
	})
	m.toolCalls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mcp_codemode_tool_calls_total",
		Help: "Tool calls made by scripts, by server, tool and outcome: ok, tool_error, invalid_arguments, upstream_error, cancelled, error.",
	}, []string{"server", "tool", "outcome"})
	m.memoryStops = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "mcp_codemode_sandbox_memory_stops_total",
		Help: "Executions stopped for going over codemode.memory_limit_mb.",
	})
	m.refusals = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mcp_codemode_http_refusals_total",
		Help: "HTTP requests refused before reaching MCP, by status: 400, 401, 403, 404, 413, 429, 503.",
	}, []string{"status"})
	m.runsDropped = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "mcp_codemode_run_records_dropped_total",
		Help: "Run records dropped unwritten because the store did not keep up (the executions were not affected).",
	})
	m.bus = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mcp_codemode_replica_messages_total",
		Help: "Messages between replicas, by channel (cancel, answer, sse, sessions, tools) and way: sent, or received from another replica.",
	}, []string{"channel", "way"})
	m.reg.MustRegister(m.executions, m.duration, m.toolCalls, m.memoryStops, m.refusals, m.runsDropped, m.bus,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		gaugeFunc("mcp_codemode_sessions", "Open MCP sessions (with a store: those this replica holds).", m.sessionCount),
		upstreamCollector{m})
	return m
}

// Executed implements server.Observer.
func (m *Metrics) Executed(outcome string, d time.Duration) {
	m.executions.WithLabelValues(outcome).Inc()
	if outcome != "busy" {
		m.duration.Observe(d.Seconds())
	}
	if outcome == "memory_limit" {
		m.memoryStops.Inc()
	}
}

// ToolCalled implements server.Observer.
func (m *Metrics) ToolCalled(server, tool, outcome string, _ time.Duration) {
	m.toolCalls.WithLabelValues(server, tool, outcome).Inc()
}

// RunsDropped implements server.DropObserver.
func (m *Metrics) RunsDropped(n int) { m.runsDropped.Add(float64(n)) }

func (m *Metrics) refused(status int) { m.refusals.WithLabelValues(strconv.Itoa(status)).Inc() }

// busMessage counts a message of the bus on channel ("codemode_cancel" is
// cancel), sent or received.
func (m *Metrics) busMessage(channel, way string) {
	m.bus.WithLabelValues(strings.TrimPrefix(channel, "codemode_"), way).Inc()
}

// watch points the scrape-time metrics at a registry and a session table.
func (m *Metrics) watch(reg *tools.Registry, s *sessions) {
	m.registry.Store(reg)
	m.sessions.Store(s)
}

func (m *Metrics) sessionCount() float64 {
	if s := m.sessions.Load(); s != nil {
		return float64(s.count())
	}
	return 0
}

func (m *Metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

func gaugeFunc(name, help string, f func() float64) prometheus.GaugeFunc {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f)
}

// upstreamCollector reports mcp_codemode_upstream_up{server,transport}
// from the registry's health when scraped.
type upstreamCollector struct{ m *Metrics }

var upstreamUp = prometheus.NewDesc("mcp_codemode_upstream_up",
	"1 while the upstream server has a live connection, 0 while it is down.", []string{"server", "transport"}, nil)

func (c upstreamCollector) Describe(ch chan<- *prometheus.Desc) { ch <- upstreamUp }

func (c upstreamCollector) Collect(ch chan<- prometheus.Metric) {
	reg := c.m.registry.Load()
	if reg == nil {
		return
	}
	for _, h := range reg.Health() {
		v := 0.0
		if h.Up {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(upstreamUp, prometheus.GaugeValue, v, h.Server, h.Transport)
	}
}
