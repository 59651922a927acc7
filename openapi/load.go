package openapi

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	yaml "github.com/pb33f/go-yaml"
	"github.com/pb33f/libopenapi/datamodel"
)

// Options say which document to load and what of it to serve.
type Options struct {
	// Spec is the document as configured: a file, or the URL Data came
	// from. Messages name it; a file's folder is where its $refs may reach.
	Spec string
	// Data is the document when the caller has fetched it; nil reads the
	// file Spec.
	Data []byte
	// BaseURL is where requests go; "" means the document's first server.
	BaseURL string
	// Operations keeps only the operations that match one of these
	// patterns ("GET /repos/**", "issues_*"); empty keeps all.
	Operations []string
}

// API is a loaded document: its operations, ready to call.
type API struct {
	Title       string
	Description string // the document's summary or description, one line
	BaseURL     *url.URL
	Operations  []*Operation // in document order
}

// Load parses the document and turns each operation into a tool
// definition. Errors are *SpecError.
func Load(o Options) (*API, error) {
	r, info, err := open(o)
	if err != nil {
		return nil, err
	}
	root := loc{file: r.main}
	v2 := info.SpecFormat == datamodel.OAS2
	w := &walker{r: r, s: newSchemas(r, v2 || info.SpecFormat == datamodel.OAS3), v2: v2, doc: deref(r.main.root)}
	if w.filter, err = compileFilter(o.Operations); err != nil {
		return nil, &SpecError{Spec: o.Spec, Msg: err.Error()}
	}
	api := &API{Title: str(get(get(w.doc, "info"), "title"))}
	api.Description = concise(firstOf(str(get(get(w.doc, "info"), "summary")), str(get(get(w.doc, "info"), "description"))))
	if api.BaseURL, err = w.baseURL(o); err != nil {
		return nil, err
	}
	if api.Operations, err = w.operations(root); err != nil {
		return nil, err
	}
	for _, op := range api.Operations {
		op.base = api.BaseURL
	}
	return api, nil
}

// open reads and parses the document.
func open(o Options) (*resolver, *datamodel.SpecInfo, error) {
	r := &resolver{spec: o.Spec, files: map[string]*file{}}
	data := o.Data
	main := &file{name: o.Spec}
	if data == nil {
		path, err := filepath.Abs(o.Spec)
		if err == nil {
			data, err = os.ReadFile(path)
		}
		if err != nil {
			return nil, nil, &SpecError{Spec: o.Spec, Msg: fmt.Sprintf("cannot be read: %v; check \"spec\" in the entry", unwrapPath(err))}
		}
		main.path, r.dir = path, filepath.Dir(path)
		r.files[path] = main
	}
	info, err := datamodel.ExtractSpecInfoWithConfig(data, &datamodel.DocumentConfiguration{SkipJSONConversion: true})
	if err == nil && info.Error != nil {
		err = info.Error
	}
	if err != nil {
		return nil, nil, &SpecError{Spec: o.Spec, Msg: fmt.Sprintf("is not an OpenAPI 3.x or Swagger 2.0 document in JSON or YAML: %v", err)}
	}
	switch info.SpecFormat {
	case datamodel.OAS2, datamodel.OAS3, datamodel.OAS31, datamodel.OAS32:
	default:
		return nil, nil, &SpecError{Spec: o.Spec, Msg: fmt.Sprintf("is a %s %s document; only OpenAPI 3.x and Swagger 2.0 documents are served", info.SpecType, info.Version)}
	}
	main.root = info.RootNode
	r.main = main
	return r, info, nil
}

// walker reads the operations of one document.
type walker struct {
	r      *resolver
	s      *schemas
	v2     bool
	doc    *yaml.Node
	filter *filter
}

// baseURL is o.BaseURL, else the document's first server: servers[0]
// (its variables at their defaults) in 3.x, schemes, host and basePath in
// 2.0. A relative server URL is relative to the document's URL.
func (w *walker) baseURL(o Options) (*url.URL, error) {
	raw, at := o.BaseURL, "base_url"
	if raw == "" {
		raw, at = w.server()
	}
	if raw == "" {
		return nil, &SpecError{Spec: o.Spec, Pointer: at, Msg: `the document names no server to send requests to; set "base_url" in the entry, e.g. "https://api.example.com/v1"`}
	}
	u, err := url.Parse(raw)
	if err == nil && u.Scheme == "" && o.Data != nil {
		if spec, perr := url.Parse(o.Spec); perr == nil {
			u = spec.ResolveReference(u)
		}
	}
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, &SpecError{Spec: o.Spec, Pointer: at, Msg: fmt.Sprintf(`the server URL %q is not an http or https URL with a host; set "base_url" in the entry, e.g. "https://api.example.com/v1"`, raw)}
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath, u.RawQuery, u.Fragment = "", "", ""
	return u, nil
}

// server is the document's first server URL and where it is written.
func (w *walker) server() (string, string) {
	if w.v2 {
		host := str(get(w.doc, "host"))
		if host == "" {
			return "", "#/host"
		}
		scheme := "https"
		if s := items(get(w.doc, "schemes")); len(s) > 0 && !hasScalar(s, "https") {
			scheme = str(s[0])
		}
		return scheme + "://" + host + str(get(w.doc, "basePath")), "#/host"
	}
	servers := items(get(w.doc, "servers"))
	if len(servers) == 0 {
		return "", "#/servers"
	}
	u := str(get(servers[0], "url"))
	pairs(get(servers[0], "variables"), func(name string, v *yaml.Node) {
		u = strings.ReplaceAll(u, "{"+name+"}", str(get(v, "default")))
	})
	return u, "#/servers/0/url"
}

func hasScalar(ns []*yaml.Node, s string) bool {
	for _, n := range ns {
		if str(n) == s {
			return true
		}
	}
	return false
}

func firstOf(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}
