package egress

import (
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// target is a URL reduced to what the policy judges and what goes on the
// wire: both are the same string, so a server never sees a path or host
// other than the one that was checked.
type target struct {
	scheme string     // "http" or "https"
	host   string     // canonical: a lowercase name without trailing dot, or an IP in netip's form
	ip     netip.Addr // valid when host is an IP literal
	port   int
	path   string // escaped, dot segments resolved, starts with "/"
	query  string // escaped, without "?"
}

// parseTarget accepts an absolute http or https URL. The shim's URL has
// already normalised it; this parse trusts nothing and refuses what a
// browser would canonicalise differently from a server (backslashes,
// spaces, encoded dot segments) instead of guessing.
func parseTarget(raw string) (*target, error) {
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; c <= ' ' || c >= 0x7f || c == '\\' {
			return nil, typeError("%q is not a valid URL: it contains %q; percent-encode it", raw, string(rune(c)))
		}
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return nil, typeError("%q is not a valid absolute URL", raw)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, typeError("only http and https URLs can be fetched, not %s:", u.Scheme)
	}
	if u.Opaque != "" || u.Host == "" {
		return nil, typeError("%q is not a valid URL: it has no host", raw)
	}
	if u.User != nil {
		return nil, typeError("%q includes credentials (user:password@), which fetch does not send", raw)
	}
	t := &target{scheme: u.Scheme, query: u.RawQuery}
	if err := t.setHost(u); err != nil {
		return nil, err
	}
	if t.path, err = cleanPath(u.EscapedPath()); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *target) setHost(u *url.URL) error {
	host, err := canonicalHost(u.Hostname(), strings.HasPrefix(u.Host, "["))
	if err != nil {
		return err
	}
	t.host = host
	t.ip, _ = netip.ParseAddr(host)
	t.port = defaultPort(t.scheme)
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return typeError("port %q of %q is not a valid port", p, u.Host)
		}
		t.port = n
	}
	return nil
}

func defaultPort(scheme string) int {
	if scheme == "http" {
		return 80
	}
	return 443
}

// canonicalHost lowercases a name and removes its trailing dot, and turns
// every IPv4 form a URL parser accepts (2130706433, 0x7f.1, 0177.0.0.1) into
// the dotted quad, as the WHATWG URL standard does. A name of other than
// ASCII letters, digits, '-', '_' and '.' is refused.
func canonicalHost(h string, bracketed bool) (string, error) {
	if bracketed {
		ip, err := netip.ParseAddr(h)
		if err != nil || !ip.Is6() || ip.Zone() != "" {
			return "", typeError("[%s] is not a valid IPv6 address", h)
		}
		return ip.Unmap().String(), nil
	}
	h = strings.ToLower(strings.TrimSuffix(h, "."))
	if h == "" || strings.HasPrefix(h, ".") || strings.HasSuffix(h, ".") || strings.Contains(h, "..") {
		return "", typeError("%q is not a valid host name", h)
	}
	for _, c := range []byte(h) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return "", typeError("%q is not a valid host name: write international names in their xn-- form", h)
		}
	}
	if !endsInNumber(h) {
		return h, nil
	}
	ip, ok := parseIPv4(h)
	if !ok {
		return "", typeError("%q is not a valid IPv4 address", h)
	}
	return ip.String(), nil
}

// endsInNumber is the WHATWG test for a host that must parse as IPv4.
func endsInNumber(h string) bool {
	parts := strings.Split(h, ".")
	last := parts[len(parts)-1]
	if last == "" && len(parts) > 1 {
		last = parts[len(parts)-2]
	}
	if last == "" {
		return false
	}
	if strings.Trim(last, "0123456789") == "" {
		return true
	}
	return strings.HasPrefix(last, "0x") && strings.Trim(last[2:], "0123456789abcdef") == ""
}

// parseIPv4 parses 1 to 4 parts, each decimal, 0x hexadecimal or 0-prefixed
// octal; the last part fills the remaining bytes.
func parseIPv4(h string) (netip.Addr, bool) {
	parts := strings.Split(strings.TrimSuffix(h, "."), ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	var v uint64
	for i, p := range parts {
		n, ok := ipv4Number(p)
		last := i == len(parts)-1
		if !ok || !last && n > 255 || last && n >= 1<<(8*(5-len(parts))) {
			return netip.Addr{}, false
		}
		if last {
			v += n
		} else {
			v += n << (8 * (3 - i))
		}
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true
}

func ipv4Number(p string) (uint64, bool) {
	base := 10
	switch {
	case strings.HasPrefix(p, "0x"):
		p, base = p[2:], 16
		if p == "" {
			return 0, true
		}
	case len(p) > 1 && p[0] == '0':
		p, base = p[1:], 8
	}
	n, err := strconv.ParseUint(p, base, 64)
	return n, err == nil && p != ""
}

// cleanPath resolves "." and ".." segments, also percent-encoded ones, as a
// server would, and refuses a segment that decodes to a path with dot
// segments (..%2F..), which servers disagree about.
func cleanPath(p string) (string, error) {
	if p == "" {
		return "/", nil
	}
	segs := strings.Split(p, "/")[1:]
	out := make([]string, 0, len(segs))
	for i, s := range segs {
		last := i == len(segs)-1
		switch strings.ToLower(s) {
		case ".", "%2e":
		case "..", ".%2e", "%2e.", "%2e%2e":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			if err := checkSegment(s); err != nil {
				return "", err
			}
			out = append(out, s)
			continue
		}
		if last {
			out = append(out, "")
		}
	}
	return "/" + strings.Join(out, "/"), nil
}

func checkSegment(s string) error {
	d, err := url.PathUnescape(s)
	if err != nil {
		return typeError("path segment %q is not valid percent-encoding", s)
	}
	for _, part := range strings.FieldsFunc(d, func(r rune) bool { return r == '/' || r == '\\' }) {
		if part == "." || part == ".." {
			return typeError("path segment %q hides a dot segment behind an encoded slash", s)
		}
	}
	return nil
}

// matchPath is the path a rule's path_prefix is matched against: the
// percent-encoded unreserved characters decoded ("/%61pi/" is "/api/"), as
// every server decodes them.
func (t *target) matchPath() string { return decodeUnreserved(t.path) }

// ambiguous says what in the path servers disagree about, or "": a dot
// segment with a ";" parameter ("..;", which Tomcat and Spring read as
// ".."), a segment of dots that some server trims to ".." ("..%00",
// "..%20", "..."), an encoded dot, slash or backslash (%2e, %2f, %5c: some servers
// decode them before resolving dot segments, some after, some never), or
// an encoded "%" (%25, decoded twice by some servers and proxies:
// %252e%252e is ".."). A rule with a path_prefix refuses such a path, since
// the prefix it matched may not be the path the server serves.
func (t *target) ambiguous() string {
	for _, seg := range strings.Split(t.path, "/") {
		name, _, param := strings.Cut(seg, ";")
		switch {
		case param && dotsOnly(name):
			return fmt.Sprintf("the dot segment %q with a \";\" parameter", seg)
		case dotsOnly(name):
			return fmt.Sprintf("the segment %q, which servers may read as a dot segment", seg)
		}
	}
	lower := strings.ToLower(t.path)
	for _, enc := range []string{"%25", "%2e", "%2f", "%5c"} {
		if i := strings.Index(lower, enc); i >= 0 {
			what := map[string]string{"%25": "a double-encoded character", "%2e": "an encoded dot", "%2f": "an encoded slash", "%5c": "an encoded backslash"}[enc]
			return fmt.Sprintf("%s (%q)", what, t.path[i:i+3])
		}
	}
	return ""
}

// dotsOnly reports whether a segment is dots once decoded, whatever
// trails them that some servers trim (spaces, tabs, NULs): "..;", ".%2e",
// "..%00", "..%20", "...". (Plain "." and ".." never get here: cleanPath
// resolved them.)
func dotsOnly(seg string) bool {
	d, err := url.PathUnescape(seg)
	if err != nil {
		return false
	}
	d = strings.TrimRight(d, " \t\x00")
	return d != "" && strings.Trim(d, ".") == ""
}

// decodeUnreserved decodes the percent-encoded unreserved characters of an
// escaped path (RFC 3986 letters, digits, "-", ".", "_", "~") and leaves
// every other escape as it is, in upper case.
func decodeUnreserved(p string) string {
	if !strings.Contains(p, "%") {
		return p
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] == '%' && i+2 < len(p) && ishex(p[i+1]) && ishex(p[i+2]) {
			c := unhex(p[i+1])<<4 | unhex(p[i+2])
			if isUnreserved(c) {
				b.WriteByte(c)
			} else {
				b.WriteString(strings.ToUpper(p[i : i+3]))
			}
			i += 2
			continue
		}
		b.WriteByte(p[i])
	}
	return b.String()
}

func isUnreserved(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

func ishex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// hostPort is the host as written in a URL: the port left out when it is
// the scheme's default, IPv6 in brackets.
func (t *target) hostPort() string {
	h := t.host
	if t.ip.Is6() {
		h = "[" + h + "]"
	}
	if t.port != defaultPort(t.scheme) {
		h += ":" + strconv.Itoa(t.port)
	}
	return h
}

func (t *target) origin() string { return t.scheme + "://" + t.hostPort() }

func (t *target) String() string {
	s := t.origin() + t.path
	if t.query != "" {
		s += "?" + t.query
	}
	return s
}

// url is the URL to send; its RawPath keeps the checked escaping.
func (t *target) url() *url.URL {
	u := &url.URL{Scheme: t.scheme, Host: t.hostPort(), RawQuery: t.query, RawPath: t.path}
	u.Path, _ = url.PathUnescape(t.path) // cleanPath checked every segment
	return u
}

// sensitiveParams are substrings of query parameter names whose values the
// audit log leaves out.
var sensitiveParams = []string{"key", "token", "secret", "passw", "pwd", "auth", "sig", "credential", "session", "code", "jwt", "bearer"}

// auditURL is the URL with the values of secret-looking query parameters
// (api_key, access_token, signature, ...) replaced by "REDACTED".
func (t *target) auditURL() string {
	if t.query == "" {
		return t.String()
	}
	params := strings.Split(t.query, "&")
	for i, p := range params {
		name, _, hasValue := strings.Cut(p, "=")
		n, err := url.QueryUnescape(name)
		if err != nil {
			n = name
		}
		n = strings.ToLower(n)
		for _, s := range sensitiveParams {
			if hasValue && strings.Contains(n, s) {
				params[i] = name + "=REDACTED"
				break
			}
		}
	}
	return t.origin() + t.path + "?" + strings.Join(params, "&")
}
