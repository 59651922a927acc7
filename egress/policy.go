package egress

import (
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/mcp-codemode/mcp-codemode/config"
)

// rule is one compiled entry of codemode.network.allow.
type rule struct {
	key      string // "codemode.network.allow[0]", named in errors and the audit
	host     string // canonical host, or the suffix after "*." when wildcard
	wildcard bool
	scheme   string
	ports    []int    // never empty: the scheme's default port when the rule names none
	methods  []string // upper case; empty allows every method
	prefix   string
	inject   [][2]string // canonical header names and values
	private  bool
}

// compileRule checks and normalises a rule. Errors are *config.Error naming
// the key, so the command line reports them like any configuration error.
func compileRule(i int, c config.NetworkRule) (*rule, error) {
	r := &rule{key: fmt.Sprintf("codemode.network.allow[%d]", i), scheme: c.Scheme, prefix: c.PathPrefix, private: c.AllowPrivate}
	if r.scheme == "" {
		r.scheme = "https"
	}
	if r.scheme != "https" && r.scheme != "http" {
		return nil, r.errorf("scheme", `is %q; use "https" (the default) or "http"`, c.Scheme)
	}
	if err := r.setHost(c.Host); err != nil {
		return nil, err
	}
	if err := r.setPorts(c.Ports); err != nil {
		return nil, err
	}
	if err := r.setMethods(c.Methods); err != nil {
		return nil, err
	}
	if r.prefix != "" && !strings.HasPrefix(r.prefix, "/") {
		return nil, r.errorf("path_prefix", `is %q; start it with "/", e.g. "/v1/"`, c.PathPrefix)
	}
	r.prefix = decodeUnreserved(r.prefix)
	return r, r.setInject(c.InjectHeaders)
}

func (r *rule) errorf(field, format string, args ...any) error {
	return &config.Error{Key: r.key + "." + field, Msg: fmt.Sprintf(format, args...)}
}

func (r *rule) setHost(h string) error {
	const fix = `; write a host name like "api.example.com" or "*.example.com", or an IP address, without scheme, port or path`
	name, wildcard := strings.CutPrefix(h, "*.")
	r.wildcard = wildcard
	if ip, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(name, "["), "]")); err == nil && !wildcard && ip.Zone() == "" {
		r.host = ip.Unmap().String()
		return nil
	}
	host, err := canonicalHost(name, false)
	if err != nil || strings.Contains(name, "*") {
		return r.errorf("host", "is %q, not a host name%s", h, fix)
	}
	if _, err := netip.ParseAddr(host); wildcard && (err == nil || !strings.Contains(host, ".")) {
		return r.errorf("host", "is %q: a wildcard needs a domain name with a dot after it%s", h, fix)
	}
	r.host = host
	return nil
}

func (r *rule) setPorts(ports []int) error {
	for _, p := range ports {
		if p < 1 || p > 65535 {
			return r.errorf("ports", "contains %d; ports are 1 to 65535", p)
		}
	}
	r.ports = slices.Clone(ports)
	if len(r.ports) == 0 {
		r.ports = []int{defaultPort(r.scheme)}
	}
	return nil
}

func (r *rule) setMethods(methods []string) error {
	for _, m := range methods {
		u := strings.ToUpper(m)
		if !isToken(u) || forbiddenMethod(u) {
			return r.errorf("methods", "contains %q, not an HTTP method fetch can send", m)
		}
		r.methods = append(r.methods, u)
	}
	return nil
}

func (r *rule) setInject(h map[string]string) error {
	for name, v := range h {
		if !isToken(name) {
			return r.errorf("inject_headers", "has %q, not a valid header name", name)
		}
		if strings.ContainsAny(v, "\r\n\x00") {
			return r.errorf("inject_headers."+name, "contains a line break or NUL")
		}
		r.inject = append(r.inject, [2]string{http.CanonicalHeaderKey(name), v})
	}
	slices.SortFunc(r.inject, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	return nil
}

func (r *rule) matchHost(host string) bool {
	if !r.wildcard {
		return host == r.host
	}
	return strings.HasSuffix(host, "."+r.host)
}

// check returns why the rule refuses a request to a host it matches, or "".
func (r *rule) check(method string, t *target) string {
	switch {
	case t.scheme != r.scheme:
		return fmt.Sprintf("%s allows only %s, not %s", r, r.scheme, t.scheme)
	case !slices.Contains(r.ports, t.port):
		return fmt.Sprintf("%s allows only port %s, not %d", r, joinInts(r.ports), t.port)
	case len(r.methods) > 0 && !slices.Contains(r.methods, method):
		return fmt.Sprintf("%s allows only %s, not %s", r, strings.Join(r.methods, ", "), method)
	case !strings.HasPrefix(t.matchPath(), r.prefix):
		return fmt.Sprintf("%s allows only paths under %q, not %q", r, r.prefix, t.path)
	case r.prefix != "" && t.ambiguous() != "":
		return fmt.Sprintf("%s has path_prefix %q and refuses %q, whose path servers read differently: it has %s; write the path plainly",
			r, r.prefix, t.path, t.ambiguous())
	}
	return ""
}

// String names the rule as errors and the audit show it.
func (r *rule) String() string { return r.key + " (" + r.pattern() + ")" }

func (r *rule) pattern() string {
	if r.wildcard {
		return "*." + r.host
	}
	return r.host
}

// summary is the rule as the model reads it: "GET, POST https://api.example.com/v1/".
func (r *rule) summary() string {
	methods := "any method"
	if len(r.methods) > 0 {
		methods = strings.Join(r.methods, ", ")
	}
	host := r.pattern()
	if ip, err := netip.ParseAddr(host); err == nil && ip.Is6() {
		host = "[" + host + "]"
	}
	if len(r.ports) > 1 || r.ports[0] != defaultPort(r.scheme) {
		host += ":" + joinInts(r.ports)
	}
	return methods + " " + r.scheme + "://" + host + r.prefix
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, "|")
}

// policy is the compiled allow list; it allows nothing when empty.
type policy struct{ rules []*rule }

// match returns the first rule allowing method on t, or why none does,
// naming each rule for t's host and what it refuses.
func (p *policy) match(method string, t *target) (*rule, string) {
	var reasons []string
	for _, r := range p.rules {
		if !r.matchHost(t.host) {
			continue
		}
		why := r.check(method, t)
		if why == "" {
			return r, ""
		}
		reasons = append(reasons, why)
	}
	if len(reasons) == 0 {
		return nil, fmt.Sprintf("no rule in codemode.network.allow matches host %q (allowed: %s)", t.host, p.hosts())
	}
	return nil, strings.Join(reasons, "; ")
}

// hosts lists the host patterns the policy allows, in rule order.
func (p *policy) hosts() string {
	var out []string
	for _, r := range p.rules {
		if !slices.Contains(out, r.pattern()) {
			out = append(out, r.pattern())
		}
	}
	return strings.Join(out, ", ")
}

// isToken reports whether s is an RFC 9110 token (method or header name).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// forbiddenMethod: the methods the Fetch standard refuses.
func forbiddenMethod(m string) bool { return m == "CONNECT" || m == "TRACE" || m == "TRACK" }
