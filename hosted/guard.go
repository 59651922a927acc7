package hosted

import (
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// guard checks Host and Origin against DNS rebinding and cross-site
// requests. A browser page on another site can make a user's browser send
// requests to a server it can reach (on loopback, or inside a network);
// the Host a rebound name carries, and the Origin the browser adds, give it
// away.
type guard struct {
	hosts    []string // allowed_hosts, lower case: "name", "name:port" or "*.domain"
	origins  []string // allowed_origins, lower case, no trailing slash; "*" allows any
	loopback bool     // listening on loopback: default to loopback names only
}

func newGuard(hosts, origins []string, loopback bool) guard {
	g := guard{loopback: loopback}
	for _, h := range hosts {
		g.hosts = append(g.hosts, strings.ToLower(strings.TrimSpace(h)))
	}
	for _, o := range origins {
		g.origins = append(g.origins, strings.TrimSuffix(strings.ToLower(strings.TrimSpace(o)), "/"))
	}
	return g
}

// guarded refuses requests whose Host or Origin is not allowed (403),
// answers CORS preflights from allowed origins, and marks responses to
// allowed cross-origin requests so that browsers let the page read them.
func (h *Handler) guarded(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if msg := h.guard.checkHost(r.Host); msg != "" {
			h.refuse(w, r, http.StatusForbidden, msg)
			return
		}
		origin := r.Header.Get("Origin")
		if msg := h.guard.checkOrigin(origin, r.Host); msg != "" {
			h.refuse(w, r, http.StatusForbidden, msg)
			return
		}
		if origin != "" {
			allowCORS(w.Header(), origin)
			if r.Method == http.MethodOptions {
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// checkHost says why a Host header is refused, or "".
func (g guard) checkHost(hostport string) string {
	hostport = strings.ToLower(hostport)
	name := hostname(hostport)
	switch {
	case len(g.hosts) > 0:
		if slices.ContainsFunc(g.hosts, func(a string) bool { return hostMatches(a, name, hostport) }) {
			return ""
		}
		return "Host " + quote(hostport) + " is not in codemode.allowed_hosts"
	case g.loopback && !isLoopbackName(name):
		return "Host " + quote(hostport) + " is not a loopback name; this server listens on loopback " +
			"(add the name to codemode.allowed_hosts if a proxy forwards it)"
	}
	return ""
}

// checkOrigin says why an Origin header is refused, or "". A request
// without one does not come from a browser page and passes.
func (g guard) checkOrigin(origin, host string) string {
	if origin == "" {
		return ""
	}
	o := strings.TrimSuffix(strings.ToLower(origin), "/")
	if len(g.origins) > 0 {
		if slices.Contains(g.origins, o) || slices.Contains(g.origins, "*") {
			return ""
		}
		return "Origin " + quote(origin) + " is not in codemode.allowed_origins"
	}
	u, err := url.Parse(o)
	if err == nil && u.Host != "" && (u.Host == strings.ToLower(host) || g.loopback && isLoopbackName(u.Hostname())) {
		return ""
	}
	return "Origin " + quote(origin) + " is another site; list it in codemode.allowed_origins to allow it"
}

func allowCORS(h http.Header, origin string) {
	h.Set("Access-Control-Allow-Origin", origin)
	h.Add("Vary", "Origin")
	h.Set("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Accept, Mcp-Session-Id, MCP-Protocol-Version, Last-Event-ID")
	h.Set("Access-Control-Expose-Headers", "Mcp-Session-Id, WWW-Authenticate")
}

// hostMatches matches one allowed_hosts entry: "name:port" the whole Host,
// "*.domain" any name under domain, "name" the name on any port.
func hostMatches(allowed, name, hostport string) bool {
	if strings.HasPrefix(allowed, "*.") {
		return strings.HasSuffix(name, allowed[1:])
	}
	if _, _, err := net.SplitHostPort(allowed); err == nil {
		return allowed == hostport
	}
	return strings.Trim(allowed, "[]") == name
}

// hostname is the name of a Host header, without port or IPv6 brackets.
func hostname(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return strings.Trim(hostport, "[]")
}

func isLoopbackName(name string) bool {
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		return true
	}
	ip := net.ParseIP(name)
	return ip != nil && ip.IsLoopback()
}

func quote(s string) string {
	if len(s) > 100 {
		s = s[:100] + "…"
	}
	return "\"" + strings.ToValidUTF8(s, "?") + "\""
}
