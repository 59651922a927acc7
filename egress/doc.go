// Package egress is the network of the sandbox: fetch() in the model's code,
// answered in Go under the operator's policy (codemode.network), with
// credentials the code never sees.
//
//	c, err := egress.New(cfg.Codemode.Network, egress.Options{Secrets: cfg.Secrets})
//	// per execution:
//	s := c.Session()
//	opts.Prelude = append(opts.Prelude, egress.Shim)
//	opts.Bindings = append(opts.Bindings, sandbox.Binding{Object: egress.BindingObject, Method: egress.BindingMethod, ID: fetchID})
//	// the Caller routes fetchID to s.Fetch; afterwards s.Records() is the audit.
//
// # Policy
//
// Default deny. A request is sent only when a rule of codemode.network.allow
// matches it: scheme (https unless the rule says http), host (exact, or
// "*.example.com" for every subdomain, not example.com itself), port (the
// rule's ports, else the scheme's default), method (the rule's, else any)
// and path prefix (a plain string prefix of the normalised path, dot
// segments resolved and escaped unreserved characters decoded). A rule with
// a path prefix refuses a path servers read differently: a dot segment with
// a ";" parameter ("..;"), a segment of dots a server may trim to ".."
// ("..%00", "..."), an encoded dot, slash or backslash, or an encoded "%"
// (double encoding). Every redirect hop is checked again, up
// to 10.
//
// # Credentials
//
// A rule's inject_headers are set in Go on each request it allows,
// replacing the script's headers of the same name. They are never carried
// over a redirect (each hop gets its own rule's), and the script's own
// Authorization and Cookie are dropped when a redirect leaves the origin.
// Injected values and the configured secrets are replaced by "[redacted]"
// in everything the script or the model can see: response bodies, headers,
// URLs, errors and the audit, in every encoding package redact catches
// (percent-encoding, JSON and JavaScript escapes, HTML references, UTF-16,
// base64), as for tool results.
//
// # Addresses
//
// The transport resolves host names itself, checks every address (loopback,
// private, link-local, unique-local, unspecified, multicast, reserved, and
// the IPv4 inside NAT64 and 6to4 addresses) and connects to the checked
// address, so a second DNS answer cannot slip in between. Only rules with
// allow_private reach such addresses. URLs are parsed as a browser would
// (2130706433 and 0x7f.1 are 127.0.0.1); no proxy from the environment is
// used.
//
// # Concurrency
//
// A Client is shared by every execution and safe for concurrent use. A
// Session belongs to one execution: it counts requests (max_requests),
// queues those beyond max_concurrent, and keeps the audit. Fetch is called
// on the sandbox's call goroutines, never on the runtime's.
package egress
