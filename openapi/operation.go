package openapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	yaml "github.com/pb33f/go-yaml"
)

// Operation is one operation of the document as a tool: its name, its
// schemas, and what Request needs to send a call.
type Operation struct {
	Name        string          // the tool's name: the operationId sanitized, else the method and path
	OperationID string          // as written; "" when the document gives none
	Method      string          // upper case
	Path        string          // as written: "/repos/{owner}/{repo}/issues"
	Summary     string          // the document's summary: a title for people ("Create an issue"); may be ""
	Description string          // the summary (else the start of the description), with the method and path
	Input       json.RawMessage // one object: every parameter by name, the request body under "body"
	Output      json.RawMessage // the 2xx response's JSON schema; nil when there is none (unknown)

	params []param
	body   *body
	accept string // the 2xx response's media type, for Accept
	base   *url.URL
}

// ReadOnly reports whether the method changes nothing: GET, HEAD and
// OPTIONS. Every other method is treated as destructive (approve_destructive).
func (op *Operation) ReadOnly() bool {
	return op.Method == "GET" || op.Method == "HEAD" || op.Method == "OPTIONS"
}

// Label is how messages name the operation: "POST /repos/{owner}/{repo}/issues".
func (op *Operation) Label() string { return op.Method + " " + op.Path }

// param is one parameter: where it goes and how it is written.
type param struct {
	name     string // as the API knows it
	prop     string // its property in the arguments (name, unless two share it)
	in       string // path, query, header or cookie
	style    string // form, simple, label, matrix, spaceDelimited, pipeDelimited, deepObject; Swagger's collectionFormat mapped
	explode  bool
	reserved bool // allowReserved: reserved characters go unencoded in the query
}

// body is the request body: its media type and whether it is required.
type body struct {
	mediaType string
	required  bool
}

var methods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// operations reads every operation under paths, in document order, keeps
// those the filter matches, and names them.
func (w *walker) operations(root loc) ([]*Operation, error) {
	var ops []*Operation
	var err error
	all := 0
	paths := root.at("paths")
	pairs(get(w.doc, "paths"), func(path string, item *yaml.Node) {
		if err != nil || !strings.HasPrefix(path, "/") {
			return
		}
		at := paths.at(path)
		if item, at, err = w.r.follow(at, item); err != nil {
			return
		}
		for _, m := range methods {
			n := get(item, m)
			if n == nil || err != nil {
				continue
			}
			op := &Operation{OperationID: str(get(n, "operationId")), Method: strings.ToUpper(m), Path: path}
			op.Name = toolName(op)
			all++
			if !w.filter.match(op) {
				continue
			}
			err = w.operation(op, item, n, at, at.at(m))
			ops = append(ops, op)
		}
	})
	if err != nil {
		return nil, err
	}
	if len(ops) == 0 && all > 0 {
		return nil, &SpecError{Spec: w.r.spec, Msg: fmt.Sprintf(`the entry's "operations" keeps none of its %d operations; `+
			`check the patterns: "GET /repos/**" (a method and a path, * one segment, ** any) or "issues_*" (a name)`, all)}
	}
	size := 0
	for _, op := range ops {
		if size += len(op.Input) + len(op.Output); size > maxSchemaBytes {
			return nil, w.r.errorf(paths, nil, "the operations' schemas take more than %d MB; keep fewer operations with the entry's \"operations\"", maxSchemaBytes>>20)
		}
	}
	return ops, w.names(ops, paths)
}

// maxSchemaBytes bounds the schemas of all operations together: each
// carries the $defs it reaches, so a hostile document could make many
// operations carry one huge schema. GitHub's 1,223 take 5 MB.
const maxSchemaBytes = 128 << 20

// operation fills in op from its node n (at at) and its path item.
func (w *walker) operation(op *Operation, item, n *yaml.Node, itemAt, at loc) error {
	op.Summary, op.Description = strings.TrimSuffix(concise(str(get(n, "summary"))), "."), describeOp(op, n)
	props, required, refs := &bytes.Buffer{}, []string{}, map[*def]bool{}
	if err := w.parameters(op, item, n, itemAt, at, props, &required, refs); err != nil {
		return err
	}
	if err := w.requestBody(op, n, at, props, &required, refs); err != nil {
		return err
	}
	op.Input = w.s.document(inputObject(props.Bytes(), required), refs)
	return w.response(op, n, at)
}

// inputObject is the schema of the one argument.
func inputObject(props []byte, required []string) []byte {
	var b bytes.Buffer
	b.WriteString(`{"type":"object","properties":{`)
	b.Write(props)
	b.WriteString(`}`)
	if len(required) > 0 {
		data, _ := json.Marshal(required)
		b.WriteString(`,"required":`)
		b.Write(data)
	}
	b.WriteString(`,"additionalProperties":false}`)
	return b.Bytes()
}

// addProp writes one property of the argument object.
func addProp(props *bytes.Buffer, name string, schema []byte) {
	if props.Len() > 0 {
		props.WriteByte(',')
	}
	writeString(props, name)
	props.WriteByte(':')
	props.Write(schema)
}

// withDescription adds a description to an object schema whose top level
// has none (a parameter's description belongs to its property).
func withDescription(schema []byte, desc string) []byte {
	desc = concise(desc)
	var top map[string]json.RawMessage
	if desc == "" || json.Unmarshal(schema, &top) != nil || top["description"] != nil {
		return schema
	}
	var b bytes.Buffer
	b.WriteString(`{"description":`)
	writeString(&b, desc)
	if len(top) > 0 {
		b.WriteByte(',')
	}
	b.Write(schema[1:])
	return b.Bytes()
}

var (
	mdLink  = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
	spaces  = regexp.MustCompile(`\s+`)
	maxDesc = 300
)

// concise is the first paragraph of a description, markdown links reduced
// to their text, at most maxDesc bytes: what a prompt can afford.
func concise(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, "\n\n"); i > 0 {
		s = s[:i]
	}
	s = spaces.ReplaceAllString(mdLink.ReplaceAllString(s, "$1"), " ")
	if len(s) > maxDesc {
		cut := strings.LastIndex(s[:maxDesc], " ")
		if cut < maxDesc/2 {
			cut = maxDesc
		}
		for cut > 0 && !utf8Start(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// describeOp is the tool's description: the summary (else the start of the
// description), then the method and path.
func describeOp(op *Operation, n *yaml.Node) string {
	d := concise(firstOf(str(get(n, "summary")), str(get(n, "description"))))
	if d == "" {
		return op.Label()
	}
	return fmt.Sprintf("%s (%s)", strings.TrimSuffix(d, "."), op.Label())
}
