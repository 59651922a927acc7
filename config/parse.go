package config

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// parser carries the file name for errors and the ${VAR} expander.
type parser struct {
	path string
	exp  expander
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
}

// server validates one entry; it returns nil for a disabled server.
func (p *parser) server(name string, data json.RawMessage) (*Server, error) {
	key := "mcpServers." + name
	var r rawServer
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, p.errorf(key, "%s", typeMessage(err))
	}
	if r.Disabled {
		return nil, nil
	}
	s := &Server{Name: name, Command: r.Command, Cwd: r.Cwd, Timeout: 60 * time.Second}
	var err error
	if s.Type, err = p.serverType(key, r); err != nil {
		return nil, err
	}
	if r.Timeout != "" {
		if s.Timeout, err = p.duration(key+".timeout", r.Timeout); err != nil {
			return nil, err
		}
	}
	if err := p.expandServer(key, r, s); err != nil {
		return nil, err
	}
	return s, nil
}

func (p *parser) serverType(key string, r rawServer) (string, error) {
	switch {
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

// typeMessage shortens encoding/json's type errors.
func typeMessage(err error) string {
	if te, ok := err.(*json.UnmarshalTypeError); ok {
		if te.Field != "" {
			return fmt.Sprintf("%s: expected %s, got JSON %s", te.Field, jsonKind(te.Type.String()), te.Value)
		}
		return fmt.Sprintf("expected %s, got JSON %s", jsonKind(te.Type.String()), te.Value)
	}
	return err.Error()
}

func jsonKind(goType string) string {
	switch {
	case strings.HasPrefix(goType, "map["), strings.HasPrefix(goType, "struct"), strings.HasPrefix(goType, "config."), strings.HasPrefix(goType, "*config."):
		return "an object"
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	case goType == "string":
		return "a string"
	case goType == "bool":
		return "true or false"
	}
	return "a number"
}

// checkKeys rejects keys of a codemode object that are not in known.
func (p *parser) checkKeys(key string, data json.RawMessage, known ...string) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return p.errorf(key, "expected an object, got %s", abbreviate(data))
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
