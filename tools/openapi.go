package tools

// An OpenAPI entry (README: OpenAPI upstreams) is an upstream without an MCP server: its
// "connection" is the loaded document, and each operation a tool whose
// handler sends the request itself, through an egress client allowed to
// reach the entry's host only. The entry's headers that hold a ${VAR}
// secret are injected there, in Go, and scrubbed from everything that
// comes back; its other headers go on every request as they are.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/egress"
	"github.com/mcp-codemode/mcp-codemode/openapi"
	"github.com/mcp-codemode/mcp-codemode/sandbox"
)

// maxSpecBytes bounds a document fetched from a URL: GitHub's is 13 MB.
const maxSpecBytes = 64 << 20

// HTTPError is an OpenAPI operation answered with a status outside 2xx.
// Its message names the tool, the status, the operation and the start of
// the body, redacted:
//
//	github.issues_get: 404 Not Found (GET /repos/{owner}/{repo}/issues/{issue_number}): {"message":"Not Found"}
type HTTPError struct {
	Server string // the server as configured
	Tool   string // the operation's tool name
	Path   string // the tool as the model calls it
	Status int
	Msg    string // status, operation and body excerpt, redacted
}

func (e *HTTPError) Error() string { return e.Path + ": " + e.Msg }

// ErrorName is the JS error name the sandbox throws.
func (e *HTTPError) ErrorName() string { return sandbox.NameHTTP }

// ErrorProps are the properties the script's HttpError has besides its
// name and message: the response's status.
func (e *HTTPError) ErrorProps() map[string]any { return map[string]any{"status": e.Status} }

// openAPI loads the entry's document and makes its operations tools.
func (u *upstream) openAPI(ctx context.Context) (*conn, []Tool, error) {
	data, err := u.fetchSpec(ctx)
	if err != nil {
		return nil, nil, u.reg.red.Error(err)
	}
	api, err := openapi.Load(openapi.Options{Spec: u.cfg.Spec, Data: data, BaseURL: u.cfg.BaseURL, Operations: u.cfg.Operations})
	if err != nil {
		return nil, nil, u.reg.red.Error(err)
	}
	client, plain, err := u.openAPIClient(api.BaseURL)
	if err != nil {
		return nil, nil, u.reg.red.Error(err)
	}
	tools := make([]Tool, len(api.Operations))
	for i, op := range api.Operations {
		tools[i] = Tool{Server: u.name, Name: op.Name, Title: op.Summary, Description: op.Description, InputSchema: op.Input,
			OutputSchema: op.Output, Annotations: annotations(op), Handler: u.operation(client, plain, op)}
	}
	about := api.Title
	if api.Description != "" && api.Description != about {
		about += ": " + api.Description
	}
	return &conn{info: mcp.InitializeResult{Instructions: about}}, tools, nil
}

// annotations mark GET, HEAD and OPTIONS read-only and every other method
// destructive, which approve_destructive gates.
func annotations(op *openapi.Operation) mcp.ToolAnnotation {
	ro, destructive := op.ReadOnly(), !op.ReadOnly()
	return mcp.ToolAnnotation{Title: op.Label(), ReadOnlyHint: &ro, DestructiveHint: &destructive}
}

// openAPIClient is the egress client of the entry: one rule for the base
// URL's scheme, host and port (private addresses only with allow_private),
// the secret headers injected by it, one request per call within the
// entry's timeout. plain are the headers without secrets.
func (u *upstream) openAPIClient(base *url.URL) (*egress.Client, [][2]string, error) {
	rule := config.NetworkRule{Host: base.Hostname(), Scheme: base.Scheme, AllowPrivate: u.cfg.AllowPrivate, InjectHeaders: map[string]string{}}
	if p := base.Port(); p != "" {
		port, _ := strconv.Atoi(p)
		rule.Ports = []int{port}
	}
	var plain [][2]string
	for _, name := range sortedHeaderNames(u.cfg.Headers) {
		if v := u.cfg.Headers[name]; u.reg.red.Contains(v) {
			rule.InjectHeaders[name] = v
		} else {
			plain = append(plain, [2]string{name, v})
		}
	}
	n := config.Network{Allow: []config.NetworkRule{rule}, MaxRequests: 1, MaxConcurrent: 1,
		MaxResponseBytes: int64(u.reg.maxResult), Timeout: u.timeout()}
	c, err := egress.New(n, egress.Options{Logger: u.log, RuleKey: "mcpServers." + u.name})
	if err != nil {
		return nil, nil, fmt.Errorf("the base URL %s cannot be reached: %w", base.Redacted(), err)
	}
	return c, plain, nil
}

func sortedHeaderNames(h map[string]string) []string {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// operation is the handler of one operation's tool.
func (u *upstream) operation(c *egress.Client, plain [][2]string, op *openapi.Operation) Handler {
	return func(ctx context.Context, args json.RawMessage) (*mcp.CallToolResult, error) {
		req, err := op.Request(args)
		if err != nil {
			return nil, &ArgumentError{Path: u.name + "." + op.Name, Violations: []Violation{{Reason: err.Error()}}}
		}
		header := mergeHeaders(req.Header, plain)
		resp, err := c.Session().Do(ctx, egress.Request{Method: req.Method, URL: req.URL, Header: header, Body: req.Body})
		if err != nil {
			return nil, u.errorf(op.Name, err, "%s failed: %v", op.Label(), err)
		}
		out, err := op.Result(openapi.Response{Status: resp.Status, StatusText: resp.StatusText, Header: resp.Header, Body: resp.Body})
		var se *openapi.StatusError
		if errors.As(err, &se) {
			return nil, &HTTPError{Server: u.name, Tool: op.Name, Status: se.Status, Msg: se.Error()}
		}
		return &mcp.CallToolResult{Content: []mcp.Content{mcp.NewTextContent(string(out))}}, nil
	}
}

// fetchSpec fetches a document named by an https URL through the egress
// guards (private addresses only with allow_private); nil for a file,
// which openapi.Load reads.
func (u *upstream) fetchSpec(ctx context.Context) ([]byte, error) {
	su, err := url.Parse(u.cfg.Spec)
	if err != nil || su.Scheme != "https" {
		return nil, nil
	}
	rule := config.NetworkRule{Host: su.Hostname(), AllowPrivate: u.cfg.AllowPrivate}
	if p := su.Port(); p != "" {
		port, _ := strconv.Atoi(p)
		rule.Ports = []int{port}
	}
	c, err := egress.New(config.Network{Allow: []config.NetworkRule{rule}, MaxRequests: 1, MaxConcurrent: 1,
		MaxResponseBytes: maxSpecBytes, Timeout: u.timeout()}, egress.Options{Logger: u.log, RuleKey: "mcpServers." + u.name + ".spec"})
	if err != nil {
		return nil, fmt.Errorf("openapi spec %s: %w", su.Redacted(), err)
	}
	resp, err := c.Session().Do(ctx, egress.Request{Method: "GET", URL: u.cfg.Spec, Header: [][2]string{{"Accept", "application/json, application/yaml, */*"}}})
	switch {
	case err != nil:
		return nil, fmt.Errorf("openapi spec %s cannot be fetched: %w", su.Redacted(), err)
	case resp.Status != 200:
		return nil, fmt.Errorf("openapi spec %s cannot be fetched: the server answered %d %s", su.Redacted(), resp.Status, resp.StatusText)
	}
	return resp.Body, nil
}

// mergeHeaders is the request's headers with the entry's plain ones, which
// replace the request's of the same name (an Accept of the user's choice).
func mergeHeaders(req, plain [][2]string) [][2]string {
	out := slices.Clone(plain)
	for _, h := range req {
		if !slices.ContainsFunc(plain, func(p [2]string) bool { return strings.EqualFold(p[0], h[0]) }) {
			out = append(out, h)
		}
	}
	return out
}
