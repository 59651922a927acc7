package egress

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/mcp-codemode/mcp-codemode/config"
)

// Options configure a Client. The zero value is what a server uses.
type Options struct {
	// Secrets are scrubbed from responses, errors and the audit, besides
	// the inject_headers values, which always are (config.Config.Secrets).
	Secrets []string
	// Resolver resolves host names; nil means net.DefaultResolver.
	Resolver Resolver
	// Dialer connects to checked addresses; nil means a net.Dialer.
	Dialer Dialer
	// RootCAs verify servers; nil means the system's roots.
	RootCAs *x509.CertPool
	// Logger receives one record per request sent or refused; nil means
	// slog.Default().
	Logger *slog.Logger
	// RuleKey names every rule in messages and the audit; "" names rule i
	// by its key, codemode.network.allow[i]. (An OpenAPI entry's one rule
	// is its mcpServers entry.)
	RuleKey string
}

// Client holds the compiled policy and the HTTP transports shared by every
// execution. It is safe for concurrent use; the state of one execution
// (request count, concurrency, audit) is in a Session.
type Client struct {
	policy policy
	limits config.Network
	strict http.RoundTripper // refuses private addresses
	open   http.RoundTripper // for rules with allow_private
	red    *redactor
	log    *slog.Logger
}

// New compiles a network policy. Errors are *config.Error naming the key of
// the bad rule. A policy without rules is valid and allows nothing.
func New(n config.Network, opts Options) (*Client, error) {
	c := &Client{limits: withDefaults(n), log: opts.Logger}
	if c.log == nil {
		c.log = slog.Default()
	}
	secrets := append([]string(nil), opts.Secrets...)
	for i, cr := range n.Allow {
		r, err := compileRule(i, cr)
		if err != nil {
			return nil, err
		}
		if opts.RuleKey != "" {
			r.key = opts.RuleKey
		}
		c.policy.rules = append(c.policy.rules, r)
		for _, h := range r.inject {
			secrets = append(secrets, h[1])
		}
	}
	c.red = newRedactor(secrets)
	resolver, dialer := opts.Resolver, opts.Dialer
	if resolver == nil {
		resolver = net.DefaultResolver
	}
	if dialer == nil {
		dialer = &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	}
	c.strict = newTransport(&guard{resolver: resolver, dialer: dialer}, opts.RootCAs)
	c.open = newTransport(&guard{resolver: resolver, dialer: dialer, allowPrivate: true}, opts.RootCAs)
	return c, nil
}

func withDefaults(n config.Network) config.Network {
	d := config.Default().Codemode.Network
	if n.MaxRequests <= 0 {
		n.MaxRequests = d.MaxRequests
	}
	if n.MaxConcurrent <= 0 {
		n.MaxConcurrent = d.MaxConcurrent
	}
	if n.MaxResponseBytes <= 0 {
		n.MaxResponseBytes = d.MaxResponseBytes
	}
	if n.Timeout <= 0 {
		n.Timeout = d.Timeout
	}
	return n
}

// newTransport never uses a proxy from the environment: a proxy would
// connect in our place, past the address check.
func newTransport(g *guard, roots *x509.CertPool) *http.Transport {
	return &http.Transport{
		Proxy:                  nil,
		DialContext:            g.dial,
		ForceAttemptHTTP2:      true,
		TLSClientConfig:        &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    10 * time.Second,
		MaxIdleConns:           64,
		MaxIdleConnsPerHost:    8,
		IdleConnTimeout:        60 * time.Second,
		MaxResponseHeaderBytes: 1 << 20,
	}
}

// Enabled reports whether the policy allows anything; without it the
// sandbox gets no fetch at all.
func (c *Client) Enabled() bool { return c != nil && len(c.policy.rules) > 0 }

// Summary is one or two sentences for the model: that fetch exists, what
// it may reach and its limits. It is "" when nothing is allowed.
func (c *Client) Summary() string {
	if !c.Enabled() {
		return ""
	}
	var rules, injected []string
	for _, r := range c.policy.rules {
		rules = append(rules, r.summary())
		if len(r.inject) > 0 && !slices.Contains(injected, r.pattern()) {
			injected = append(injected, r.pattern())
		}
	}
	s := fmt.Sprintf("`fetch(url, init)` (with Request, Response, Headers, URL) reaches only: %s; anything else is refused. ",
		strings.Join(rules, "; "))
	if len(injected) > 0 {
		s += fmt.Sprintf("Credentials for %s are added for you: do not set them. ", strings.Join(injected, ", "))
	}
	return s + fmt.Sprintf("At most %d requests per run, %d at a time, %s per response, %s each.",
		c.limits.MaxRequests, c.limits.MaxConcurrent, sizeText(c.limits.MaxResponseBytes), c.limits.Timeout)
}

// CloseIdleConnections closes the kept-alive connections of both transports.
func (c *Client) CloseIdleConnections() {
	for _, t := range []http.RoundTripper{c.strict, c.open} {
		t.(*http.Transport).CloseIdleConnections()
	}
}

func (c *Client) transport(r *rule) http.RoundTripper {
	if r.private {
		return c.open
	}
	return c.strict
}

// sizeText is "10 MB", "512 KB" or "300 bytes".
func sizeText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
