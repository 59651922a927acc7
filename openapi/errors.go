package openapi

import (
	"fmt"
	"strings"
)

// SpecError is a document we cannot serve: it names the document as
// configured, where in it (a JSON pointer, and the line when known) and
// how to fix it.
//
//	openapi spec /etc/specs/api.yaml: #/paths/~1pets/get/responses/200/content/application~1json/schema/$ref (line 40): "#/components/schemas/Pett" does not exist in the document; point it at a schema that does
type SpecError struct {
	Spec    string // the document: a file or a URL
	Pointer string // "#/paths/~1pets/get"; "" for the whole document
	Line    int    // 1-based; 0 when unknown
	Msg     string // what is wrong and what to do
}

func (e *SpecError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "openapi spec %s", e.Spec)
	if e.Pointer != "" {
		fmt.Fprintf(&b, ": %s", e.Pointer)
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, " (line %d)", e.Line)
	}
	fmt.Fprintf(&b, ": %s", e.Msg)
	return b.String()
}

// StatusError is an answer outside 2xx. Its text carries the status and
// the beginning of the body, for the model to read.
type StatusError struct {
	Operation  string // "GET /repos/{owner}/{repo}"
	Status     int
	StatusText string
	Excerpt    string // the body's first maxExcerpt bytes, cut at a character
}

// maxExcerpt bounds the body a StatusError quotes: enough for an API's
// error object, not a whole HTML page.
const maxExcerpt = 1000

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("%d %s (%s)", e.Status, e.StatusText, e.Operation)
	if e.Excerpt != "" {
		msg += ": " + e.Excerpt
	}
	return msg
}

// ArgumentError is a call whose arguments cannot be sent as the document
// says (the schema let them through, the wire format cannot carry them).
type ArgumentError struct {
	Msg string
}

func (e *ArgumentError) Error() string { return e.Msg }
