// Package openapi turns an OpenAPI document into tools: each operation a
// tool definition (name, description, input and output JSON Schema) and
// the means to call it (Request builds the HTTP request from the
// arguments, Result reads the answer). It sends nothing itself: the caller
// sends the Request through its own guarded client (package egress).
//
//	api, err := openapi.Load(openapi.Options{Spec: "specs/github.json", Operations: []string{"issues_*"}})
//	op := api.Operations[0]           // op.Name "issues_create", op.Input, op.Output
//	req, err := op.Request(args)      // method, URL, headers, body
//	out, err := op.Result(response)   // the 2xx body as JSON, or a *StatusError
//
// # Documents
//
// OpenAPI 3.0, 3.1 and Swagger 2.0, JSON or YAML, parsed by
// github.com/pb33f/libopenapi (chosen over kin-openapi for GitHub's
// 13 MB document: 0.8 s and 270 MB peak against 1.2–1.9 s and 630 MB).
// The operations are read from the parsed node tree. $refs resolve inside
// the document and in files of its folder or below; one that leaves the
// folder, or names a URL, is a *SpecError, as is anything else that stops
// the document from being served: each names the document, the JSON
// pointer and the line, and says what to change.
//
// # Schemas
//
// Each schema a $ref names becomes one "$defs" entry, converted once per
// document; an operation's schema carries the $defs it reaches. A circular
// schema is so a recursive $ref, which typegen writes as a named type. The
// 3.0 and 2.0 dialects are rewritten to JSON Schema 2020-12 (schema.go).
//
// # Names
//
// A tool is named by its operationId, every run of characters other than
// letters, digits and _ made one _ ("issues/create" → "issues_create"),
// else by its method and path; names that collide are numbered. Two
// operations with one operationId are refused.
//
// # Concurrency
//
// An API is read-only once loaded: its operations may be called from any
// number of goroutines.
package openapi
