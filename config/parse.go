package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
)

// parser carries the file name for errors and the ${VAR} expander.
type parser struct {
	path string
	exp  expander
	// serversKey is the key the servers are under: "mcpServers", or
	// "servers" in VS Code's file.
	serversKey string
}

func (p *parser) errorf(key, format string, args ...any) error {
	return &Error{Path: p.path, Key: key, Msg: fmt.Sprintf(format, args...)}
}

// rawServer is one mcpServers entry as written. Keys we do not know are
// ignored: other MCP hosts add their own.
type rawServer struct {
	Type     string            `json:"type"`
	Command  string            `json:"command"`
	Args     []string          `json:"args"`
	Env      map[string]string `json:"env"`
	Cwd      string            `json:"cwd"`
	URL      string            `json:"url"`
	Headers  map[string]string `json:"headers"`
	Disabled bool              `json:"disabled"`
	Timeout  string            `json:"timeout"`

	// "type": "openapi" only.
	Spec         string   `json:"spec"`
	BaseURL      string   `json:"base_url"`
	AllowPrivate bool     `json:"allow_private"`
	Operations   []string `json:"operations"`
}

// server validates one entry; it returns nil for a disabled server. A
// ${VAR} that cannot be expanded, or an entry that would start
// mcp-codemode itself, is unset, not err: that server is left out and the
// others work (README: Configuration), where a malformed entry is a mistake in the file.
func (p *parser) server(name string, data json.RawMessage) (s *Server, unset, err error) {
	key := p.serversKey + "." + name
	var r rawServer
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, nil, p.typeError(key, data, err)
	}
	if r.Disabled {
		return nil, nil, nil
	}
	s = &Server{Name: name, Command: r.Command, Cwd: r.Cwd, Timeout: 60 * time.Second}
	if s.Type, err = p.serverType(key, r); err != nil {
		return nil, nil, err
	}
	if r.Timeout != "" {
		if s.Timeout, err = p.duration(key+".timeout", r.Timeout); err != nil {
			return nil, nil, err
		}
	}
	if unset := p.expandServer(key, r, s); unset != nil {
		return s, unset, nil
	}
	if err := p.checkURL(key+".url", s.URL); err != nil {
		return nil, nil, err
	}
	if s.Type == OpenAPI {
		return s, nil, p.openAPI(key, r, s)
	}
	return s, p.self(key, s), nil
}

// checkURL refuses a url that no request can go to ("localhost:3000/mcp"
// parses as scheme "localhost"), which would fail only when connecting.
// The URL is not quoted back: it may hold a token.
func (p *parser) checkURL(key, s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		return nil
	}
	return p.errorf(key, `is not an http or https URL with a host; write it like "https://example.com/mcp" or "http://127.0.0.1:3000/mcp"`)
}

// self refuses an entry that would start mcp-codemode itself (README: Configuration):
// one pointed at the Claude Desktop file that launches it would start
// copies of itself without end. The entry is left out like one whose
// ${VAR} is not set; a wrapper the check cannot see through is caught at
// run time (ParentEnv).
func (p *parser) self(key string, s *Server) error {
	why := selfSpawn(s)
	if why == "" {
		return nil
	}
	return p.errorf(key, "%s; mcp-codemode never runs itself as an upstream (it would start copies of itself "+
		"without end): remove this entry from the file you give mcp-codemode", why)
}

func (p *parser) serverType(key string, r rawServer) (string, error) {
	switch {
	case r.Type == OpenAPI:
		return OpenAPI, p.openAPIShape(key, r)
	case r.Spec != "" || r.BaseURL != "":
		return "", p.errorf(key+".type", `is %q but the entry has "spec" or "base_url", which only an OpenAPI entry takes; write "type": "openapi"`, r.Type)
	case r.Command != "" && r.URL != "":
		return "", p.errorf(key, `has both "command" and "url"; keep "command" for a local (stdio) server or "url" for a remote one`)
	case r.Command != "":
		if r.Type != "" && r.Type != Stdio {
			return "", p.errorf(key+".type", `is %q but the server has a "command"; use "stdio" or remove "type"`, r.Type)
		}
		return Stdio, nil
	case r.URL != "":
		switch r.Type {
		case "", HTTP, "streamable-http", "streamableHttp":
			return HTTP, nil
		case SSE:
			return SSE, nil
		}
		return "", p.errorf(key+".type", `is %q; use "http" (streamable HTTP) or "sse"`, r.Type)
	}
	return "", p.errorf(key, `needs "command" (a local stdio server) or "url" (a remote server)`)
}

func (p *parser) expandServer(key string, r rawServer, s *Server) error {
	var err error
	for i, a := range r.Args {
		if a, err = p.exp.expand(fmt.Sprintf("%s.args[%d]", key, i), a); err != nil {
			return p.wrap(err)
		}
		s.Args = append(s.Args, a)
	}
	if s.Env, err = p.exp.expandMap(key+".env", r.Env); err != nil {
		return p.wrap(err)
	}
	if s.Headers, err = p.exp.expandMap(key+".headers", r.Headers); err != nil {
		return p.wrap(err)
	}
	if s.URL, err = p.exp.expand(key+".url", r.URL); err != nil {
		return p.wrap(err)
	}
	if s.BaseURL, err = p.exp.expand(key+".base_url", r.BaseURL); err != nil {
		return p.wrap(err)
	}
	if s.Spec, err = p.exp.expand(key+".spec", r.Spec); err != nil {
		return p.wrap(err)
	}
	return nil
}

// wrap gives an expansion error the file name.
func (p *parser) wrap(err error) error {
	if e, ok := err.(*Error); ok {
		e.Path = p.path
	}
	return err
}

func (p *parser) duration(key, s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, p.errorf(key, `%q is not a positive duration; write it like "30s", "500ms" or "2m"`, s)
	}
	return d, nil
}

// typeError turns encoding/json's type error in the object at key (data)
// into the key, what is there and what to write instead:
// `codemode.max_tool_calls: is "10", a string; use a whole number, e.g. 10`.
// Go type names never show.
func (p *parser) typeError(key string, data json.RawMessage, err error) error {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		return p.errorf(key, "%v", err)
	}
	full := joinKey(key, te.Field)
	raw := lookup(data, te.Field)
	got := kindOf(te.Value)
	if raw == nil || kindOf(jsonKindOf(raw)) != got {
		// An element of an array or a map: the field path does not reach it.
		return p.errorf(full, "has %s where %s belongs; use %s", got, describeType(te.Type), example(full, te.Type, nil))
	}
	got = abbreviate(raw) + ", " + got
	if full == "" {
		return p.errorf("", `the file holds %s; it must be an object: {"mcpServers": {...}, "codemode": {...}}`, got)
	}
	return p.errorf(full, "is %s; use %s", got, example(full, te.Type, raw))
}

// joinKey appends encoding/json's dotted field path to key.
func joinKey(key, field string) string {
	switch {
	case field == "":
		return key
	case key == "":
		return field
	}
	return key + "." + field
}

// lookup finds the value at a dotted field path of an object; nil when it
// is not there (an array element: encoding/json's path has no index).
func lookup(data json.RawMessage, field string) json.RawMessage {
	if field == "" {
		return data
	}
	for name := range strings.SplitSeq(field, ".") {
		var m map[string]json.RawMessage
		if json.Unmarshal(data, &m) != nil || m[name] == nil {
			return nil
		}
		data = m[name]
	}
	return data
}

// jsonKindOf is the JSON kind of a value as encoding/json names it.
func jsonKindOf(raw json.RawMessage) string {
	switch b := bytes.TrimSpace(raw); {
	case len(b) == 0:
		return ""
	case b[0] == '"':
		return "string"
	case b[0] == '[':
		return "array"
	case b[0] == '{':
		return "object"
	case b[0] == 't' || b[0] == 'f':
		return "bool"
	case b[0] == 'n':
		return "null"
	}
	return "number"
}

// kindOf names encoding/json's UnmarshalTypeError.Value ("string",
// "number 1.5", "bool", ...) for a person.
func kindOf(value string) string {
	kind, _, _ := strings.Cut(value, " ")
	switch kind {
	case "string":
		return "a string"
	case "number":
		return "a number"
	case "bool":
		return "a boolean"
	case "array":
		return "an array"
	case "object":
		return "an object"
	}
	return kind
}

// describeType names what a Go type holds in JSON terms.
func describeType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "an array of " + plural(describeType(t.Elem()))
	}
	return "an object"
}

func plural(s string) string {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "a "), "an ")
	switch s {
	case "true or false":
		return "booleans"
	case "whole number":
		return "whole numbers"
	}
	return s + "s"
}

// example is what to write for key, a value of Go type t, keeping what
// the user meant where raw shows it ("10" becomes 10).
func example(key string, t reflect.Type, raw json.RawMessage) string {
	var unquoted string
	if json.Unmarshal(raw, &unquoted) != nil {
		unquoted = string(bytes.TrimSpace(raw))
	}
	what := describeType(t)
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if f, err := strconv.ParseFloat(unquoted, 64); err == nil && !math.IsInf(f, 0) {
			if f > math.MaxInt64 || f < math.MinInt64 {
				return fmt.Sprintf("%s of at most %d", what, int64(math.MaxInt64))
			}
			return fmt.Sprintf("%s, e.g. %d", what, int64(math.Round(f)))
		}
		return what + ", e.g. 10"
	case reflect.Float32, reflect.Float64:
		return what + ", e.g. 10"
	case reflect.String:
		if strings.HasSuffix(key, "timeout") {
			return `a duration, e.g. "30s"`
		}
		if unquoted != "" && jsonKindOf(raw) != "object" && jsonKindOf(raw) != "array" {
			return fmt.Sprintf("%s, e.g. %q", what, unquoted)
		}
		return what
	case reflect.Bool:
		if unquoted == "true" || unquoted == "false" {
			return what + ", e.g. " + unquoted
		}
		return what
	case reflect.Slice, reflect.Array:
		if k := jsonKindOf(raw); k != "" && k != "array" && k != "object" {
			return fmt.Sprintf("%s, e.g. [%s]", what, bytes.TrimSpace(raw))
		}
		return what
	}
	if key == "mcpServers" {
		return `an object of servers by name, e.g. {"memory": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-memory"]}}`
	}
	return what
}

// checkKeys rejects keys of a codemode object that are not in known.
func (p *parser) checkKeys(key string, data json.RawMessage, known ...string) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return p.errorf(key, "is %s, %s; use an object", abbreviate(data), kindOf(jsonKindOf(data)))
	}
	var unknown []string
	for k := range m {
		if !contains(known, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	return p.errorf(key+"."+unknown[0], "unknown key; the known keys here are %s", strings.Join(known, ", "))
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func abbreviate(data json.RawMessage) string {
	s := string(data)
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return s
}
