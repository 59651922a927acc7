package config

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

var codemodeKeys = []string{
	"timeout", "max_tool_calls", "max_output_bytes", "memory_limit_mb", "isolation", "network",
	"auth", "allowed_origins", "allowed_hosts", "max_concurrent", "max_concurrent_per_session",
	"max_concurrent_per_subject", "max_sessions", "max_sessions_per_subject",
	"session_idle_timeout", "stateless", "data_dir", "workspace", "description_budget_tokens",
	"require_approval", "approve_destructive", "pin_tool_definitions", "max_media_bytes",
	"runs", "database_url", "database_max_conns", "database_connect_timeout", "learn_result_types",
}

// rawCodemode is the codemode section as written; durations are strings.
type rawCodemode struct {
	Timeout                 string          `json:"timeout"`
	MaxToolCalls            int             `json:"max_tool_calls"`
	MaxOutputBytes          int             `json:"max_output_bytes"`
	MaxMediaBytes           int             `json:"max_media_bytes"`
	MemoryLimitMB           int             `json:"memory_limit_mb"`
	Isolation               string          `json:"isolation"`
	Network                 json.RawMessage `json:"network"`
	Auth                    json.RawMessage `json:"auth"`
	AllowedOrigins          []string        `json:"allowed_origins"`
	AllowedHosts            []string        `json:"allowed_hosts"`
	MaxConcurrent           int             `json:"max_concurrent"`
	MaxConcurrentPerSession int             `json:"max_concurrent_per_session"`
	MaxConcurrentPerSubject int             `json:"max_concurrent_per_subject"`
	MaxSessions             int             `json:"max_sessions"`
	MaxSessionsPerSubject   int             `json:"max_sessions_per_subject"`
	SessionIdleTimeout      string          `json:"session_idle_timeout"`
	Stateless               bool            `json:"stateless"`
	DataDir                 string          `json:"data_dir"`
	Workspace               json.RawMessage `json:"workspace"`
	DescriptionBudgetTokens int             `json:"description_budget_tokens"`
	RequireApproval         []string        `json:"require_approval"`
	ApproveDestructive      bool            `json:"approve_destructive"`
	PinToolDefinitions      bool            `json:"pin_tool_definitions"`
	Runs                    json.RawMessage `json:"runs"`
	DatabaseURL             string          `json:"database_url"`
	DatabaseMaxConns        int             `json:"database_max_conns"`
	DatabaseConnectTimeout  string          `json:"database_connect_timeout"`
	LearnResultTypes        *bool           `json:"learn_result_types"`
}

func (p *parser) codemode(data json.RawMessage) (*Codemode, error) {
	c := &Codemode{}
	if len(data) == 0 || string(data) == "null" {
		c.setDefaults()
		return c, nil
	}
	if err := p.checkKeys("codemode", data, codemodeKeys...); err != nil {
		return nil, err
	}
	var r rawCodemode
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, p.typeError("codemode", data, err)
	}
	if err := p.limits(&r, c); err != nil {
		return nil, err
	}
	if err := p.sections(&r, c); err != nil {
		return nil, err
	}
	if err := p.database(&r, c); err != nil {
		return nil, err
	}
	c.setDefaults()
	return c, nil
}

// limits copies and checks the scalar settings.
func (p *parser) limits(r *rawCodemode, c *Codemode) error {
	var err error
	if r.Timeout != "" {
		if c.Timeout, err = p.duration("codemode.timeout", r.Timeout); err != nil {
			return err
		}
	}
	if r.SessionIdleTimeout != "" {
		if c.SessionIdleTimeout, err = p.duration("codemode.session_idle_timeout", r.SessionIdleTimeout); err != nil {
			return err
		}
	}
	if err := p.notNegative("codemode", map[string]int64{
		"max_tool_calls": int64(r.MaxToolCalls), "max_output_bytes": int64(r.MaxOutputBytes),
		"memory_limit_mb": int64(r.MemoryLimitMB), "max_concurrent": int64(r.MaxConcurrent),
		"max_concurrent_per_session": int64(r.MaxConcurrentPerSession),
		"max_concurrent_per_subject": int64(r.MaxConcurrentPerSubject),
		"max_sessions":               int64(r.MaxSessions), "max_sessions_per_subject": int64(r.MaxSessionsPerSubject),
		"description_budget_tokens": int64(r.DescriptionBudgetTokens),
		"max_media_bytes":           int64(r.MaxMediaBytes),
	}); err != nil {
		return err
	}
	switch r.Isolation {
	case "", "inprocess", "process":
	default:
		return p.errorf("codemode.isolation", `is %q; use "inprocess" or "process"`, r.Isolation)
	}
	c.MaxToolCalls, c.MaxOutputBytes, c.MemoryLimitMB = r.MaxToolCalls, r.MaxOutputBytes, r.MemoryLimitMB
	c.MaxMediaBytes = r.MaxMediaBytes
	c.Isolation, c.MaxConcurrent, c.MaxConcurrentPerSession = r.Isolation, r.MaxConcurrent, r.MaxConcurrentPerSession
	c.MaxConcurrentPerSubject, c.MaxSessions, c.MaxSessionsPerSubject = r.MaxConcurrentPerSubject, r.MaxSessions, r.MaxSessionsPerSubject
	c.AllowedOrigins, c.AllowedHosts, c.Stateless, c.DataDir = r.AllowedOrigins, r.AllowedHosts, r.Stateless, r.DataDir
	c.DescriptionBudgetTokens, c.RequireApproval = r.DescriptionBudgetTokens, r.RequireApproval
	c.ApproveDestructive, c.PinToolDefinitions = r.ApproveDestructive, r.PinToolDefinitions
	c.LearnResultTypes = r.LearnResultTypes
	return nil
}

// sections parses the nested objects: network, auth and workspace.
func (p *parser) sections(r *rawCodemode, c *Codemode) error {
	if err := p.network(r.Network, &c.Network); err != nil {
		return err
	}
	if len(r.Auth) > 0 && string(r.Auth) != "null" {
		if err := p.auth(r.Auth, c); err != nil {
			return err
		}
	}
	if err := p.runs(r.Runs, &c.Runs); err != nil {
		return err
	}
	if len(r.Workspace) > 0 && string(r.Workspace) != "null" {
		if err := p.checkKeys("codemode.workspace", r.Workspace, "max_bytes", "max_files"); err != nil {
			return err
		}
		if err := json.Unmarshal(r.Workspace, &c.Workspace); err != nil {
			return p.typeError("codemode.workspace", r.Workspace, err)
		}
		if err := p.notNegative("codemode.workspace", map[string]int64{
			"max_bytes": c.Workspace.MaxBytes, "max_files": int64(c.Workspace.MaxFiles),
		}); err != nil {
			return err
		}
	}
	return nil
}

// runs parses codemode.runs: {"retention": "7d"}.
func (p *parser) runs(data json.RawMessage, r *Runs) error {
	if len(data) == 0 || string(data) == "null" {
		return nil
	}
	if err := p.checkKeys("codemode.runs", data, "retention"); err != nil {
		return err
	}
	var raw struct {
		Retention string `json:"retention"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return p.typeError("codemode.runs", data, err)
	}
	if raw.Retention == "" {
		return nil
	}
	d, err := days(raw.Retention)
	if err != nil || d <= 0 {
		return p.errorf("codemode.runs.retention", `%q is not a positive duration; write it like "7d", "36h" or "90m"`, raw.Retention)
	}
	r.Retention = d
	return nil
}

// days is time.ParseDuration that also reads a whole number of days ("7d").
func days(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		var d int64
		if _, err := fmt.Sscanf(n, "%d", &d); err != nil || fmt.Sprint(d) != n || d > 100*365 {
			return 0, fmt.Errorf("not a number of days: %q", s)
		}
		return time.Duration(d) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

func (p *parser) auth(data json.RawMessage, c *Codemode) error {
	if err := p.checkKeys("codemode.auth", data, "tokens", "jwt"); err != nil {
		return err
	}
	if jwt := lookup(data, "jwt"); jwt != nil && string(jwt) != "null" {
		// A misspelt key ("jwks_uri") would otherwise be dropped, and the
		// key it meant reported missing.
		if err := p.checkKeys("codemode.auth.jwt", jwt, "jwks_url", "issuer", "audience"); err != nil {
			return err
		}
	}
	c.Auth = &Auth{}
	if err := json.Unmarshal(data, c.Auth); err != nil {
		return p.typeError("codemode.auth", data, err)
	}
	for i, t := range c.Auth.Tokens {
		v, err := p.exp.expand(fmt.Sprintf("codemode.auth.tokens[%d]", i), t)
		if err != nil {
			return p.wrap(err)
		}
		c.Auth.Tokens[i] = v
	}
	return nil
}

func (p *parser) network(data json.RawMessage, n *Network) error {
	if len(data) == 0 || string(data) == "null" {
		return nil
	}
	const key = "codemode.network"
	if err := p.checkKeys(key, data, "allow", "max_requests", "max_concurrent", "max_response_bytes", "timeout"); err != nil {
		return err
	}
	var r struct {
		Allow            []json.RawMessage `json:"allow"`
		MaxRequests      int               `json:"max_requests"`
		MaxConcurrent    int               `json:"max_concurrent"`
		MaxResponseBytes int64             `json:"max_response_bytes"`
		Timeout          string            `json:"timeout"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return p.typeError(key, data, err)
	}
	if err := p.notNegative(key, map[string]int64{
		"max_requests": int64(r.MaxRequests), "max_concurrent": int64(r.MaxConcurrent), "max_response_bytes": r.MaxResponseBytes,
	}); err != nil {
		return err
	}
	n.MaxRequests, n.MaxConcurrent, n.MaxResponseBytes = r.MaxRequests, r.MaxConcurrent, r.MaxResponseBytes
	if r.Timeout != "" {
		var err error
		if n.Timeout, err = p.duration(key+".timeout", r.Timeout); err != nil {
			return err
		}
	}
	for i, raw := range r.Allow {
		rule, err := p.rule(fmt.Sprintf("%s.allow[%d]", key, i), raw)
		if err != nil {
			return err
		}
		n.Allow = append(n.Allow, rule)
	}
	return nil
}

func (p *parser) rule(key string, data json.RawMessage) (NetworkRule, error) {
	var rule NetworkRule
	if err := p.checkKeys(key, data, "host", "scheme", "ports", "methods", "path_prefix", "inject_headers", "allow_private"); err != nil {
		return rule, err
	}
	if err := json.Unmarshal(data, &rule); err != nil {
		return rule, p.typeError(key, data, err)
	}
	if err := p.methods(key+".methods", rule.Methods); err != nil {
		return rule, err
	}
	if rule.Host == "" {
		return rule, p.errorf(key+".host", `is missing; name the host to allow, e.g. "api.example.com" or "*.example.com"`)
	}
	switch rule.Scheme {
	case "", "https", "http":
	default:
		return rule, p.errorf(key+".scheme", `is %q; use "https" (the default) or "http"`, rule.Scheme)
	}
	var err error
	rule.InjectHeaders, err = p.exp.expandMap(key+".inject_headers", rule.InjectHeaders)
	return rule, p.wrap(err)
}

// notNegative refuses a negative number among the settings of the object
// at key (0 means the default). The first in key order is reported, so the
// message does not depend on map order.
func (p *parser) notNegative(key string, settings map[string]int64) error {
	names := make([]string, 0, len(settings))
	for name := range settings {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if v := settings[name]; v < 0 {
			return p.errorf(key+"."+name, "is %d; use a positive number, or leave it out for the default", v)
		}
	}
	return nil
}

// UnmatchedApprovals returns the entries of require_approval that match no
// tool, in the order written. An entry matches a tool by its server, its
// namespace, server.tool or namespace.method; names holds those four for
// every tool there is. A typo would otherwise remove the gate silently.
func (c *Codemode) UnmatchedApprovals(names map[string]bool) []string {
	var out []string
	for _, entry := range c.RequireApproval {
		if !names[entry] {
			out = append(out, entry)
		}
	}
	return out
}

// httpMethods are the methods a network rule may name: the ones fetch can
// send (CONNECT, TRACE and TRACK it cannot).
var httpMethods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

// methods refuses a method name no request will ever have: a typo such as
// "GTE" would otherwise make the rule match nothing, silently.
func (p *parser) methods(key string, methods []string) error {
	for _, m := range methods {
		if !contains(httpMethods, strings.ToUpper(m)) {
			return p.errorf(key, "contains %q, not an HTTP method fetch can send; use %s", m, strings.Join(httpMethods, ", "))
		}
	}
	return nil
}

// setDefaults fills the zero values with the documented defaults.
func (c *Codemode) setDefaults() {
	setDuration(&c.Timeout, 30*time.Second)
	setInt(&c.MaxToolCalls, 200)
	setInt(&c.MaxOutputBytes, 24000)
	setInt(&c.MaxMediaBytes, 5<<20)
	setInt(&c.MemoryLimitMB, 128)
	setInt(&c.MaxConcurrent, 64)
	setInt(&c.MaxConcurrentPerSession, 8)
	setInt(&c.MaxConcurrentPerSubject, 16)
	setInt(&c.MaxSessions, 4096)
	setInt(&c.MaxSessionsPerSubject, 32)
	setDuration(&c.SessionIdleTimeout, 30*time.Minute)
	setInt(&c.DescriptionBudgetTokens, 4000)
	setInt(&c.Network.MaxRequests, 50)
	setInt(&c.Network.MaxConcurrent, 6)
	setDuration(&c.Network.Timeout, 10*time.Second)
	if c.Network.MaxResponseBytes == 0 {
		c.Network.MaxResponseBytes = 10 << 20
	}
	if c.Workspace.MaxBytes == 0 {
		c.Workspace.MaxBytes = 100 << 20
	}
	setInt(&c.Workspace.MaxFiles, 10000)
	setDuration(&c.Runs.Retention, 7*24*time.Hour)
	setInt(&c.DatabaseMaxConns, 10)
	setDuration(&c.DatabaseConnectTimeout, 5*time.Second)
	// Isolation stays "" when unset: its default depends on the transport.
}

func setInt(p *int, def int) {
	if *p == 0 {
		*p = def
	}
}

func setDuration(p *time.Duration, def time.Duration) {
	if *p == 0 {
		*p = def
	}
}
