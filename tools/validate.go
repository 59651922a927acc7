package tools

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dlclark/regexp2/v2"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// schemaURL names the one resource of each compiler; it is never fetched.
const schemaURL = "urn:mcp-codemode:input-schema"

// patternTimeout bounds one "pattern" match, so a pathological pattern from
// an upstream cannot stall a call.
const patternTimeout = 100 * time.Millisecond

// compileSchema compiles a tool's input schema. References are resolved
// inside the document only: nothing is read from disk or the network.
// Patterns use ECMAScript semantics (lookaheads and all), since that is
// what the servers' own validators (zod, ajv) accept.
func compileSchema(raw json.RawMessage) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("schema is not valid JSON: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.UseLoader(noLoader{})
	c.UseRegexpEngine(compileECMARegexp)
	if err := c.AddResource(schemaURL, doc); err != nil {
		return nil, err
	}
	return c.Compile(schemaURL)
}

type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("external schema %q is not loaded: only references inside the tool's schema are resolved", url)
}

type ecmaRegexp struct{ re *regexp2.Regexp }

func compileECMARegexp(s string) (jsonschema.Regexp, error) {
	re, err := regexp2.Compile(s, regexp2.ECMAScript)
	if err != nil {
		return nil, err
	}
	re.MatchTimeout = patternTimeout
	return ecmaRegexp{re}, nil
}

// MatchString treats a match that runs out of time as a match: the
// upstream validates again and has the final say.
func (r ecmaRegexp) MatchString(s string) bool {
	ok, err := r.re.MatchString(s)
	return ok || err != nil
}

func (r ecmaRegexp) String() string { return r.re.String() }

// validateArgs checks args against sch and returns them decoded, an
// object. path is the tool as the model calls it, for the message. A nil
// schema (one that did not compile) only checks that args is an object.
func validateArgs(sch *jsonschema.Schema, path string, args json.RawMessage) (map[string]any, *ArgumentError) {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(args))
	if err != nil {
		return nil, &ArgumentError{Path: path, Violations: []Violation{{Reason: "arguments are not valid JSON"}}}
	}
	obj, ok := inst.(map[string]any)
	if !ok {
		reason := fmt.Sprintf("expected an object of named arguments, got %s", jsType(inst))
		return nil, &ArgumentError{Path: path, Violations: []Violation{{Reason: reason}}}
	}
	if sch == nil {
		return obj, nil
	}
	var verr *jsonschema.ValidationError
	if err := sch.Validate(inst); !errors.As(err, &verr) {
		return obj, nil
	}
	return nil, &ArgumentError{Path: path, Violations: violations(verr, inst)}
}

// violations flattens a validation error tree into sorted, distinct
// violations.
func violations(verr *jsonschema.ValidationError, inst any) []Violation {
	var vs []located
	collect(verr, inst, &vs)
	slices.SortStableFunc(vs, func(a, b located) int { return comparePaths(a.loc, b.loc) })
	out := make([]Violation, 0, len(vs))
	for _, v := range vs {
		if len(out) == 0 || out[len(out)-1] != v.Violation {
			out = append(out, v.Violation)
		}
	}
	if len(out) == 0 {
		out = append(out, Violation{Reason: "does not match the schema"})
	}
	return out
}

// located is a violation with its instance location, for sorting.
type located struct {
	Violation
	loc []string
}

func newLocated(inst any, loc []string, reason string) located {
	return located{Violation{Path: jsPath(inst, loc), Reason: reason}, loc}
}

// collect walks the tree: container kinds recurse, alternatives are
// summarised, leaves become violations.
func collect(e *jsonschema.ValidationError, inst any, out *[]located) {
	loc := e.InstanceLocation
	switch k := e.ErrorKind.(type) {
	case *kind.Group, *kind.Schema, *kind.Reference, *kind.AllOf:
		for _, c := range e.Causes {
			collect(c, inst, out)
		}
	case *kind.AnyOf:
		*out = append(*out, alternatives(e, inst)...)
	case *kind.OneOf:
		if len(k.Subschemas) == 0 {
			*out = append(*out, alternatives(e, inst)...)
			return
		}
		*out = append(*out, newLocated(inst, loc, "matches more than one of the allowed shapes"))
	case *kind.Required:
		for _, m := range k.Missing {
			*out = append(*out, newLocated(inst, append(slices.Clone(loc), m), "required"))
		}
	case *kind.DependentRequired:
		for _, m := range k.Missing {
			*out = append(*out, newLocated(inst, append(slices.Clone(loc), m), fmt.Sprintf("required when %q is present", k.Prop)))
		}
	case *kind.Dependency:
		for _, m := range k.Missing {
			*out = append(*out, newLocated(inst, append(slices.Clone(loc), m), fmt.Sprintf("required when %q is present", k.Prop)))
		}
	case *kind.AdditionalProperties:
		for _, p := range k.Properties {
			*out = append(*out, newLocated(inst, loc, fmt.Sprintf("unexpected property %q", p)))
		}
	default:
		*out = append(*out, newLocated(inst, loc, reason(e.ErrorKind)))
	}
}

// alternatives explains an anyOf/oneOf that nothing matched. When every
// branch wants a different type at the same place, the types are listed;
// when exactly one branch had the right type, its own violations are the
// explanation; otherwise the value simply matches none of them.
func alternatives(e *jsonschema.ValidationError, inst any) []located {
	var wants []string
	got := ""
	var deeper [][]located
	for _, c := range e.Causes {
		c = single(c)
		var vs []located
		collect(c, inst, &vs)
		t, ok := c.ErrorKind.(*kind.Type)
		if ok && slices.Equal(c.InstanceLocation, e.InstanceLocation) {
			wants, got = append(wants, t.Want...), t.Got
			continue
		}
		deeper = append(deeper, vs)
	}
	switch {
	case len(deeper) == 0 && len(wants) > 0:
		return []located{newLocated(inst, e.InstanceLocation, typeReason(wants, got))}
	case len(deeper) == 1:
		return deeper[0]
	}
	return []located{newLocated(inst, e.InstanceLocation, "does not match any of the allowed shapes")}
}

// single descends through containers that hold just one error.
func single(e *jsonschema.ValidationError) *jsonschema.ValidationError {
	for len(e.Causes) == 1 {
		switch e.ErrorKind.(type) {
		case *kind.Group, *kind.Schema, *kind.Reference, *kind.AllOf:
			e = e.Causes[0]
		default:
			return e
		}
	}
	return e
}

var printer = message.NewPrinter(language.English)

// reason is the short text for a leaf violation.
func reason(k jsonschema.ErrorKind) string {
	switch k := k.(type) {
	case *kind.Type:
		return typeReason(k.Want, k.Got)
	case *kind.Enum:
		return enumReason(k.Want)
	case *kind.Const:
		return "must be " + display(k.Want)
	case *kind.FalseSchema:
		return "not allowed"
	case *kind.Not:
		return "must not match the excluded schema"
	case *kind.Format:
		return "must be a valid " + k.Want
	case *kind.Pattern:
		return fmt.Sprintf("must match pattern %q", k.Want)
	case *kind.PropertyNames:
		return fmt.Sprintf("invalid property name %q", k.Property)
	case *kind.UniqueItems:
		return fmt.Sprintf("must not contain duplicates (items %d and %d are equal)", k.Duplicates[0], k.Duplicates[1])
	}
	if s, ok := boundReason(k); ok {
		return s
	}
	return k.LocalizedString(printer)
}

// boundReason covers the numeric and size limits.
func boundReason(k jsonschema.ErrorKind) (string, bool) {
	switch k := k.(type) {
	case *kind.Minimum:
		return "must be >= " + rat(k.Want), true
	case *kind.Maximum:
		return "must be <= " + rat(k.Want), true
	case *kind.ExclusiveMinimum:
		return "must be > " + rat(k.Want), true
	case *kind.ExclusiveMaximum:
		return "must be < " + rat(k.Want), true
	case *kind.MultipleOf:
		return "must be a multiple of " + rat(k.Want), true
	case *kind.MinLength:
		return fmt.Sprintf("must be at least %d characters long", k.Want), true
	case *kind.MaxLength:
		return fmt.Sprintf("must be at most %d characters long", k.Want), true
	case *kind.MinItems:
		return fmt.Sprintf("must have at least %d items", k.Want), true
	case *kind.MaxItems:
		return fmt.Sprintf("must have at most %d items", k.Want), true
	case *kind.MinProperties:
		return fmt.Sprintf("must have at least %d properties", k.Want), true
	case *kind.MaxProperties:
		return fmt.Sprintf("must have at most %d properties", k.Want), true
	}
	return "", false
}

// typeReason says what was expected in JavaScript terms: JS has no
// integers, so a got of "integer" is a number.
func typeReason(want []string, got string) string {
	if got == "integer" {
		got = "number"
	}
	want = slices.Compact(slices.Sorted(slices.Values(want)))
	return fmt.Sprintf("expected %s, got %s", strings.Join(want, " or "), got)
}

func enumReason(want []any) string {
	if len(want) == 1 {
		return "must be " + display(want[0])
	}
	parts := make([]string, len(want))
	for i, w := range want {
		parts[i] = display(w)
	}
	return "must be one of " + strings.Join(parts, ", ")
}

// display renders a schema value as JSON.
func display(v any) string { return jsonText(v) }

func rat(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	f, _ := r.Float64()
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// jsType names the JS type of a decoded JSON value.
func jsType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number, float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	}
	return "object"
}

var identRE = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*$`)

// jsPath renders an instance location in JS notation: entities[0].name,
// ["odd key"]. Whether a token is an array index is read from the instance.
func jsPath(inst any, loc []string) string {
	var b strings.Builder
	cur := inst
	for _, tok := range loc {
		switch v := cur.(type) {
		case []any:
			b.WriteString("[" + tok + "]")
			if i, err := strconv.Atoi(tok); err == nil && i >= 0 && i < len(v) {
				cur = v[i]
			}
			continue
		case map[string]any:
			cur = v[tok]
		default:
			cur = nil
		}
		writeKey(&b, tok)
	}
	return b.String()
}

func writeKey(b *strings.Builder, key string) {
	switch {
	case !identRE.MatchString(key):
		b.WriteString("[" + string(jsonString(key)) + "]")
	case b.Len() == 0:
		b.WriteString(key)
	default:
		b.WriteString("." + key)
	}
}

// comparePaths orders instance locations token by token, indexes
// numerically, a parent before its children.
func comparePaths(a, b []string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if c := compareToken(a[i], b[i]); c != 0 {
			return c
		}
	}
	return len(a) - len(b)
}

func compareToken(a, b string) int {
	x, errA := strconv.Atoi(a)
	y, errB := strconv.Atoi(b)
	if errA == nil && errB == nil {
		return x - y
	}
	return strings.Compare(a, b)
}
