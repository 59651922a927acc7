package openapi

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	yaml "github.com/pb33f/go-yaml"
)

// paramAt is a parameter node and where it is written.
type paramAt struct {
	n  *yaml.Node
	at loc
}

// parameters adds each parameter of the operation (its path item's, then
// its own, which override them) to props.
func (w *walker) parameters(op *Operation, item, n *yaml.Node, itemAt, at loc, props *bytes.Buffer, required *[]string, refs map[*def]bool) error {
	var list []paramAt
	var keys []string
	for _, src := range []struct {
		n  *yaml.Node
		at loc
	}{{get(item, "parameters"), itemAt.at("parameters")}, {get(n, "parameters"), at.at("parameters")}} {
		for i, p := range items(src.n) {
			p, pat, err := w.r.follow(src.at.at(fmt.Sprint(i)), p)
			if err != nil {
				return err
			}
			key := str(get(p, "in")) + " " + str(get(p, "name"))
			if j := slices.Index(keys, key); j >= 0 {
				list[j] = paramAt{p, pat}
				continue
			}
			keys, list = append(keys, key), append(list, paramAt{p, pat})
		}
	}
	var form []paramAt
	for _, p := range list {
		switch in := str(get(p.n, "in")); {
		case in == "body" && w.v2:
			if err := w.addBody(op, props, required, refs, get(p.n, "schema"), p.at.at("schema"), "application/json", truth(get(p.n, "required")), str(get(p.n, "description"))); err != nil {
				return err
			}
		case in == "formData" && w.v2:
			form = append(form, p)
		default:
			if err := w.param(op, p, props, required, refs); err != nil {
				return err
			}
		}
	}
	if len(form) > 0 {
		return w.formBody(op, n, form, props, required, refs)
	}
	return nil
}

// ignoredHeaders are header parameters OpenAPI says to ignore: the
// request's own media types and its credentials are not the model's.
var ignoredHeaders = []string{"accept", "content-type", "authorization"}

// param adds one path, query, header or cookie parameter.
func (w *walker) param(op *Operation, p paramAt, props *bytes.Buffer, required *[]string, refs map[*def]bool) error {
	name, in := str(get(p.n, "name")), str(get(p.n, "in"))
	switch {
	case name == "":
		return w.r.errorf(p.at, p.n, "a parameter has no \"name\"; give it one")
	case in != "path" && in != "query" && in != "header" && in != "cookie":
		return w.r.errorf(p.at.at("in"), p.n, "\"in\" is %q; a parameter is in \"path\", \"query\", \"header\" or \"cookie\"", in)
	case in == "header" && slices.Contains(ignoredHeaders, strings.ToLower(name)):
		return nil
	}
	schema, err := w.paramSchema(p, refs)
	if err != nil {
		return err
	}
	pr := param{name: name, prop: w.propName(op, name, in), in: in}
	pr.style, pr.explode = w.style(p.n, in)
	pr.reserved = truth(get(p.n, "allowReserved"))
	op.params = append(op.params, pr)
	addProp(props, pr.prop, withDescription(schema, str(get(p.n, "description"))))
	if in == "path" || truth(get(p.n, "required")) {
		*required = append(*required, pr.prop)
	}
	return nil
}

// propName is the argument property of a parameter: its name, unless
// another parameter (or the body) has it; then name_in ("id_header").
func (w *walker) propName(op *Operation, name, in string) string {
	taken := name == "body"
	for _, p := range op.params {
		taken = taken || p.prop == name
	}
	if taken {
		return name + "_" + in
	}
	return name
}

// paramSchema is a parameter's schema: "schema", else the first of
// "content" (3.x); the parameter itself, less its own keys (2.0).
func (w *walker) paramSchema(p paramAt, refs map[*def]bool) ([]byte, error) {
	if w.v2 {
		return w.s.convert(swaggerSchema(p.n), p.at, refs)
	}
	if s := get(p.n, "schema"); s != nil {
		return w.s.convert(s, p.at.at("schema"), refs)
	}
	var out []byte
	var err error
	pairs(get(p.n, "content"), func(mt string, m *yaml.Node) {
		if out == nil && err == nil {
			out, err = w.s.convert(get(m, "schema"), p.at.at("content", mt, "schema"), refs)
		}
	})
	if out == nil && err == nil {
		out = []byte("{}")
	}
	return out, err
}

// swaggerKeys are the keys of a Swagger 2.0 parameter that are not its
// schema.
var swaggerKeys = []string{"name", "in", "required", "description", "collectionFormat", "allowEmptyValue"}

// swaggerSchema is a Swagger 2.0 parameter (or items) as a schema.
func swaggerSchema(n *yaml.Node) *yaml.Node {
	out := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: n.Line}
	pairs(n, func(k string, v *yaml.Node) {
		if !slices.Contains(swaggerKeys, k) && !strings.HasPrefix(k, "x-") {
			out.Content = append(out.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k}, v)
		}
	})
	return out
}

// style is how a parameter is serialized: its style and explode, with
// OpenAPI's defaults, or Swagger 2.0's collectionFormat.
func (w *walker) style(n *yaml.Node, in string) (string, bool) {
	if w.v2 {
		switch str(get(n, "collectionFormat")) {
		case "multi":
			return "form", true
		case "ssv":
			return "spaceDelimited", false
		case "pipes":
			return "pipeDelimited", false
		case "tsv":
			return "tabDelimited", false
		}
		if in == "query" || in == "formData" {
			return "form", false
		}
		return "simple", false
	}
	style := str(get(n, "style"))
	if style == "" {
		style = map[string]string{"path": "simple", "query": "form", "header": "simple", "cookie": "form"}[in]
	}
	explode := style == "form"
	if e := get(n, "explode"); e != nil {
		explode = truth(e)
	}
	return style, explode
}

// requestBody adds the 3.x request body under "body".
func (w *walker) requestBody(op *Operation, n *yaml.Node, at loc, props *bytes.Buffer, required *[]string, refs map[*def]bool) error {
	rb := get(n, "requestBody")
	if rb == nil || w.v2 {
		return nil
	}
	rb, rbAt, err := w.r.follow(at.at("requestBody"), rb)
	if err != nil {
		return err
	}
	content := get(rb, "content")
	mt := pickMediaType(content)
	if mt == "" {
		return nil
	}
	return w.addBody(op, props, required, refs, get(get(content, mt), "schema"), rbAt.at("content", mt, "schema"), mt,
		truth(get(rb, "required")), str(get(rb, "description")))
}

// pickMediaType prefers JSON, then the form encodings, then the first.
func pickMediaType(content *yaml.Node) string {
	var all []string
	pairs(content, func(mt string, _ *yaml.Node) { all = append(all, mt) })
	for _, want := range []func(string) bool{isJSON, isForm, isMultipart} {
		for _, mt := range all {
			if want(mt) {
				return mt
			}
		}
	}
	if len(all) > 0 {
		return all[0]
	}
	return ""
}

func mediaType(mt string) string {
	mt, _, _ = strings.Cut(strings.ToLower(mt), ";")
	return strings.TrimSpace(mt)
}

func isJSON(mt string) bool {
	mt = mediaType(mt)
	return mt == "application/json" || strings.HasSuffix(mt, "+json") || mt == "*/*" || mt == "application/*"
}

func isForm(mt string) bool      { return mediaType(mt) == "application/x-www-form-urlencoded" }
func isMultipart(mt string) bool { return mediaType(mt) == "multipart/form-data" }

// addBody adds the request body's property.
func (w *walker) addBody(op *Operation, props *bytes.Buffer, required *[]string, refs map[*def]bool, schema *yaml.Node, at loc, mt string, req bool, desc string) error {
	data, err := w.s.convert(schema, at, refs)
	if err != nil {
		return err
	}
	if !isJSON(mt) && !isForm(mt) && !isMultipart(mt) && schema == nil {
		data = []byte(`{"type":"string"}`)
	}
	op.body = &body{mediaType: mt, required: req}
	addProp(props, "body", withDescription(data, desc))
	if req {
		*required = append(*required, "body")
	}
	return nil
}

// formBody makes Swagger 2.0's formData parameters one object body.
func (w *walker) formBody(op *Operation, n *yaml.Node, form []paramAt, props *bytes.Buffer, required *[]string, refs map[*def]bool) error {
	var fields bytes.Buffer
	var req []string
	mt := "application/x-www-form-urlencoded"
	consumes := items(firstNode(get(n, "consumes"), get(w.doc, "consumes")))
	for _, p := range form {
		schema, err := w.s.convert(swaggerSchema(p.n), p.at, refs)
		if err != nil {
			return err
		}
		name := str(get(p.n, "name"))
		addProp(&fields, name, withDescription(schema, str(get(p.n, "description"))))
		if truth(get(p.n, "required")) {
			req = append(req, name)
		}
		if str(get(p.n, "type")) == "file" || hasScalar(consumes, "multipart/form-data") && !hasScalar(consumes, mt) {
			mt = "multipart/form-data"
		}
	}
	obj := inputObject(fields.Bytes(), req)
	op.body = &body{mediaType: mt, required: len(req) > 0}
	addProp(props, "body", bytes.Replace(obj, []byte(`,"additionalProperties":false`), nil, 1))
	if len(req) > 0 {
		*required = append(*required, "body")
	}
	return nil
}

func firstNode(ns ...*yaml.Node) *yaml.Node {
	for _, n := range ns {
		if n != nil {
			return n
		}
	}
	return nil
}

// response sets the output schema: the first 2xx response (by code) with
// a JSON schema. None leaves the result unknown.
func (w *walker) response(op *Operation, n *yaml.Node, at loc) error {
	var codes []string
	pairs(get(n, "responses"), func(code string, _ *yaml.Node) {
		if strings.HasPrefix(code, "2") {
			codes = append(codes, code)
		}
	})
	slices.Sort(codes)
	for _, code := range codes {
		r, rAt, err := w.r.follow(at.at("responses", code), get(get(n, "responses"), code))
		if err != nil {
			return err
		}
		schema, sAt, mt := w.responseSchema(r, rAt, n)
		if schema == nil {
			continue
		}
		refs := map[*def]bool{}
		w.s.output = true
		data, err := w.s.convert(schema, sAt, refs)
		w.s.output = false
		if err != nil {
			return err
		}
		op.Output, op.accept = w.s.document(data, refs), mt
		return nil
	}
	return nil
}

// responseSchema is a response's JSON schema, where it is and its media
// type; nil when it has none.
func (w *walker) responseSchema(r *yaml.Node, at loc, op *yaml.Node) (*yaml.Node, loc, string) {
	if w.v2 {
		mt := "application/json"
		for _, p := range items(firstNode(get(op, "produces"), get(w.doc, "produces"))) {
			if isJSON(str(p)) {
				mt = str(p)
				break
			}
		}
		return get(r, "schema"), at.at("schema"), mt
	}
	var schema *yaml.Node
	var sAt loc
	var mt string
	pairs(get(r, "content"), func(m string, c *yaml.Node) {
		if schema == nil && isJSON(m) && get(c, "schema") != nil {
			schema, sAt, mt = get(c, "schema"), at.at("content", m, "schema"), m
		}
	})
	return schema, sAt, mt
}
