package config

import (
	"net/url"
	"path/filepath"
	"strings"
)

// openAPIShape refuses an OpenAPI entry that also names an MCP server, or
// that names no document.
func (p *parser) openAPIShape(key string, r rawServer) error {
	switch {
	case r.Command != "" || r.URL != "":
		return p.errorf(key, `is "type": "openapi" but has "command" or "url"; an OpenAPI entry takes "spec" (the document) `+
			`and "base_url" (where requests go), or remove "type" for an MCP server`)
	case r.Spec == "":
		return p.errorf(key+".spec", `is missing; an OpenAPI entry needs "spec": a file (relative to this configuration file) or an https URL of the document`)
	}
	return nil
}

// openAPI finishes an OpenAPI entry once its ${VAR}s are expanded: a spec
// file is made absolute against the configuration file's folder, where
// the user wrote it from; base_url must be a URL requests can go to.
func (p *parser) openAPI(key string, r rawServer, s *Server) error {
	s.AllowPrivate = r.AllowPrivate
	s.Operations = r.Operations
	if err := p.checkURL(key+".base_url", s.BaseURL); err != nil {
		return err
	}
	for i, op := range s.Operations {
		if strings.TrimSpace(op) == "" {
			return p.errorf(key+".operations", `has an empty pattern at [%d]; write "GET /repos/**" (a method and a path) or "issues_*" (an operation name)`, i)
		}
	}
	u, err := url.Parse(s.Spec)
	switch {
	case err == nil && u.Scheme == "https" && u.Host != "":
		return nil
	case err == nil && u.Scheme == "http" && u.Host != "":
		return p.errorf(key+".spec", `is an http URL; fetch the document over https, or save it and name the file`)
	}
	s.Spec = expandHome(s.Spec)
	if !filepath.IsAbs(s.Spec) && p.path != "" {
		s.Spec = filepath.Join(filepath.Dir(p.path), s.Spec)
		if abs, err := filepath.Abs(s.Spec); err == nil {
			s.Spec = abs
		}
	}
	return nil
}
