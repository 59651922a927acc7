package egress

import "github.com/mcp-codemode/mcp-codemode/redact"

// Redacted replaces every injected header value and configured secret in
// what the script sees.
const Redacted = redact.Redacted

// minSecretLen is the shortest value scrubbed: replacing every "1" of a
// response would destroy it.
const minSecretLen = redact.MinSecretLen

// redactor scrubs secrets from responses, errors and the audit, with the
// guarantee of package redact: the value itself and every encoding of it a
// script could undo (percent-encoding in either case, JSON and JavaScript
// escapes, HTML references, UTF-16, base64), whole or in part. A server
// that transforms a credential otherwise (a hash, a part of it) defeats
// redaction: inject credentials only for APIs that do not do that.
type redactor struct{ r *redact.Redactor }

func newRedactor(secrets []string) *redactor { return &redactor{r: redact.New(secrets)} }

func (r *redactor) string(s string) string { return r.r.String(s) }

// bytes scrubs b, returning b itself when it holds no secret.
func (r *redactor) bytes(b []byte) []byte { return r.r.Bytes(b) }
