package tools

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/mcp-codemode/mcp-codemode/sandbox"
)

// Unknown arguments (issue 16): JSON Schema lets an object schema that
// does not say additionalProperties take any other property, and servers
// then drop it without a word, so a misspelt optional argument (perPage for
// per_page) silently does nothing. When a tool's schema is a plain object
// of named properties, a property it does not name is refused before the
// call, with the names it takes and the nearest one. Schemas that allow
// more (additionalProperties, patternProperties, combinators, $ref at the
// root) are left to the validator.

// argNames are the top-level properties of a plain object schema; nil when
// the schema is not one.
type argNames struct {
	names    []string // in the schema's order
	required map[string]bool
}

// newArgNames reads the top-level properties of schema, or nil.
func newArgNames(schema json.RawMessage) *argNames {
	var root map[string]json.RawMessage
	if json.Unmarshal(schema, &root) != nil || root["properties"] == nil {
		return nil
	}
	for _, k := range []string{"additionalProperties", "patternProperties", "unevaluatedProperties", "allOf", "anyOf", "oneOf", "$ref", "if", "dependentSchemas"} {
		if root[k] != nil {
			return nil
		}
	}
	names, ok := orderedKeys(root["properties"])
	if !ok {
		return nil
	}
	a := &argNames{names: names, required: map[string]bool{}}
	var req []string
	_ = json.Unmarshal(root["required"], &req)
	for _, r := range req {
		a.required[r] = true
	}
	return a
}

// orderedKeys are the keys of a JSON object in their order.
func orderedKeys(obj json.RawMessage) ([]string, bool) {
	dec := json.NewDecoder(bytes.NewReader(obj))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, false
	}
	var keys []string
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, false
		}
		k, _ := t.(string)
		keys = append(keys, k)
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return nil, false
		}
	}
	return keys, true
}

// check refuses the properties of args (decoded by validateArgs) the
// schema does not name.
func (a *argNames) check(path string, args map[string]any) *ArgumentError {
	if a == nil {
		return nil
	}
	var vs []Violation
	for _, k := range slices.Sorted(maps.Keys(args)) {
		if !slices.Contains(a.names, k) {
			vs = append(vs, Violation{Path: jsPath(map[string]any{}, []string{k}), Reason: a.unknown(path, k)})
		}
	}
	if len(vs) == 0 {
		return nil
	}
	return &ArgumentError{Path: path, Violations: vs}
}

// unknown says that k is no argument of the tool, the nearest that is,
// and what the tool takes.
func (a *argNames) unknown(path, k string) string {
	msg := "not an argument of " + path
	if near := sandbox.Closest(k, a.names, 1); len(near) > 0 {
		return msg + fmt.Sprintf("; did you mean %s? It takes %s", near[0], a.signature())
	}
	return msg + "; it takes " + a.signature()
}

// signature is "{ owner, repo, title, body? }": the names, optional ones
// marked, as in the declaration.
func (a *argNames) signature() string {
	if len(a.names) == 0 {
		return "no arguments"
	}
	parts := make([]string, len(a.names))
	for i, n := range a.names {
		parts[i] = n
		if !a.required[n] {
			parts[i] += "?"
		}
	}
	return "{ " + strings.Join(parts, ", ") + " }"
}
