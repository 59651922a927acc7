package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Config is a loaded configuration file: Claude Desktop's mcpServers plus the
// codemode section.
type Config struct {
	// Path is the file the configuration came from; empty for the embedded default.
	Path string
	// Servers are the enabled upstream servers, sorted by name.
	Servers []Server
	// Codemode holds the limits and options, with defaults filled in.
	Codemode Codemode
	// Secrets are the values that ${VAR} expansion produced. They must never
	// reach the sandbox, the model or a log: results are scrubbed of them.
	Secrets []string
	// Unavailable are the enabled servers left out because a ${VAR} of
	// theirs is not set, or because they would start mcp-codemode itself
	// (README: Configuration): the other servers work. Sorted by name.
	Unavailable []Unavailable
}

// Unavailable is a server entry that cannot be started as configured.
type Unavailable struct {
	Name string
	Type string // Stdio, HTTP, SSE or OpenAPI
	Err  error  // an *Error naming the file, the key and the variable
}

// Transport kinds of an upstream server.
const (
	Stdio = "stdio"
	HTTP  = "http"
	SSE   = "sse"
	// OpenAPI is no MCP server: its operations are called over HTTP
	// (README: OpenAPI upstreams).
	OpenAPI = "openapi"
)

// Server is one upstream MCP server entry of mcpServers.
type Server struct {
	Name string
	// Type is Stdio, HTTP (streamable HTTP), SSE or OpenAPI.
	Type    string
	Command string
	Args    []string
	Env     map[string]string
	Cwd     string
	URL     string
	Headers map[string]string
	// Timeout bounds each call to this server; 60s when the entry sets none.
	Timeout time.Duration

	// The fields of an OpenAPI entry (README: OpenAPI upstreams); Headers are sent on each
	// of its requests.

	// Spec is the OpenAPI document: a file (made absolute against the
	// configuration file's folder) or an https URL.
	Spec string
	// BaseURL is where its operations are sent; "" means the document's
	// first server.
	BaseURL string
	// AllowPrivate lets its requests reach loopback and private addresses.
	AllowPrivate bool
	// Operations keeps only the operations matching one of these patterns
	// ("GET /repos/**", "issues_*"); empty keeps all.
	Operations []string
}

// Codemode is the "codemode" section. Zero values in the file mean the
// defaults below.
type Codemode struct {
	Timeout        time.Duration // wall time per execution [30s]
	MaxToolCalls   int           // tool calls per execution [200]
	MaxOutputBytes int           // result + logs shown to the model [24000]
	MaxMediaBytes  int           // images and audio of a result, sent as content blocks [5 MB]
	MemoryLimitMB  int           // memory per execution [128]
	Isolation      string        // "inprocess" | "process"; "" when unset [inprocess on stdio, process on HTTP/SSE]

	Network Network

	Auth                    *Auth
	AllowedOrigins          []string
	AllowedHosts            []string
	MaxConcurrent           int           // [64]
	MaxConcurrentPerSession int           // [8]
	MaxConcurrentPerSubject int           // executions, snippet runs and workers of one subject [16]
	MaxSessions             int           // legacy sessions in all [4096]
	MaxSessionsPerSubject   int           // legacy sessions of one subject [32]
	SessionIdleTimeout      time.Duration // [30m]
	Stateless               bool
	DataDir                 string
	Workspace               Workspace
	DescriptionBudgetTokens int // [4000]
	RequireApproval         []string
	ApproveDestructive      bool
	PinToolDefinitions      bool
	Runs                    Runs

	// LearnResultTypes is codemode.learn_result_types: whether the result
	// types of tools without an outputSchema are learned from their results
	// (README: Learned result types). Nil means true; read it with LearnsResultTypes.
	LearnResultTypes *bool

	// DatabaseURL is a postgres:// or postgresql:// URL: with it, everything
	// durable lives in PostgreSQL (README: Run several replicas); "" keeps it under DataDir, or in
	// memory. A secret: never logged, scrubbed like ${VAR} values.
	DatabaseURL            string
	DatabaseMaxConns       int           // connections in the PostgreSQL pool [10]
	DatabaseConnectTimeout time.Duration // each attempt to connect to PostgreSQL [5s]
}

// LearnsResultTypes reports codemode.learn_result_types [true].
func (c *Codemode) LearnsResultTypes() bool { return c.LearnResultTypes == nil || *c.LearnResultTypes }

// Runs configures the records of executions (README: Run records and tracing).
type Runs struct {
	Retention time.Duration // how long a record is kept [7d]
}

// Network is the outbound HTTP policy of fetch in the sandbox.
type Network struct {
	Allow            []NetworkRule
	MaxRequests      int           // [50]
	MaxConcurrent    int           // [6]
	MaxResponseBytes int64         // [10 MB]
	Timeout          time.Duration // [10s]
}

// NetworkRule allows one class of outbound requests.
type NetworkRule struct {
	Host          string            `json:"host"`
	Scheme        string            `json:"scheme,omitempty"`
	Ports         []int             `json:"ports,omitempty"`
	Methods       []string          `json:"methods,omitempty"`
	PathPrefix    string            `json:"path_prefix,omitempty"`
	InjectHeaders map[string]string `json:"inject_headers,omitempty"`
	AllowPrivate  bool              `json:"allow_private,omitempty"`
}

// Auth configures authentication of the HTTP transports.
type Auth struct {
	Tokens []string `json:"tokens,omitempty"`
	JWT    *JWT     `json:"jwt,omitempty"`
}

// JWT configures OAuth 2.1 resource-server mode.
type JWT struct {
	JWKSURL  string `json:"jwks_url"`
	Issuer   string `json:"issuer"`
	Audience string `json:"audience"`
}

// Workspace limits the built-in workspace.
type Workspace struct {
	MaxBytes int64 `json:"max_bytes,omitempty"` // [100 MB]
	MaxFiles int   `json:"max_files,omitempty"` // [10,000]
}

// Error is a configuration error: it names the file, the key and the fix.
type Error struct {
	Path string // the file, empty for the embedded default
	Key  string // JSON path of the offending key, e.g. mcpServers.memory.command
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("config")
	if e.Path != "" {
		fmt.Fprintf(&b, " %s", e.Path)
	}
	if e.Key != "" {
		fmt.Fprintf(&b, ": %s", e.Key)
	}
	fmt.Fprintf(&b, ": %s", e.Msg)
	return b.String()
}

// Default returns the embedded default: built-in tools only, default limits.
func Default() *Config {
	c := &Config{}
	c.Codemode.setDefaults()
	return c
}

// Load reads and validates a configuration file. lookup resolves ${VAR}
// references; pass os.LookupEnv.
// A leading "~/" in path is the user's home directory: a path written in a
// client's configuration reaches us without a shell to expand it.
func Load(path string, lookup func(string) (string, bool)) (*Config, error) {
	path = expandHome(path)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{Path: path, Msg: fmt.Sprintf("cannot read: %v", errors.Unwrap(err))}
	}
	return Parse(path, data, lookup)
}

// Parse validates configuration text; path only labels errors.
func Parse(path string, data []byte, lookup func(string) (string, bool)) (*Config, error) {
	var raw struct {
		MCPServers map[string]json.RawMessage `json:"mcpServers"`
		Servers    map[string]json.RawMessage `json:"servers"` // VS Code's .vscode/mcp.json
		Codemode   json.RawMessage            `json:"codemode"`
	}
	p := parser{path: path, exp: expander{lookup: lookup}, serversKey: "mcpServers"}
	if err := json.Unmarshal(data, &raw); err != nil {
		if te := (*json.UnmarshalTypeError)(nil); errors.As(err, &te) {
			return nil, p.typeError("", data, err)
		}
		return nil, &Error{Path: path, Msg: jsonMessage(data, err)}
	}
	switch {
	case raw.Servers != nil && raw.MCPServers != nil:
		return nil, p.errorf("servers", `the file has both "mcpServers" and "servers" (VS Code's name for it); keep one of them`)
	case raw.Servers != nil:
		raw.MCPServers, p.serversKey = raw.Servers, "servers"
	}
	c := &Config{Path: path}
	names := make([]string, 0, len(raw.MCPServers))
	for name := range raw.MCPServers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		s, unset, err := p.server(name, raw.MCPServers[name])
		switch {
		case err != nil:
			return nil, err
		case unset != nil:
			c.Unavailable = append(c.Unavailable, Unavailable{Name: name, Type: s.Type, Err: unset})
		case s != nil:
			c.Servers = append(c.Servers, *s)
		}
	}
	cm, err := p.codemode(raw.Codemode)
	if err != nil {
		return nil, err
	}
	c.Codemode = *cm
	c.Secrets = p.exp.secrets()
	return c, nil
}

// expandHome replaces a leading "~" or "~/" of path with the home directory.
func expandHome(path string) string {
	if path != "~" && !strings.HasPrefix(path, "~/") {
		return path
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return path
	}
	return filepath.Join(home, path[1:])
}

// jsonMessage turns a JSON syntax error into "invalid JSON at line L, column C: ...".
func jsonMessage(data []byte, err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		// Offset counts the offending byte itself.
		line, col := position(data, max(se.Offset-1, 0))
		return fmt.Sprintf("invalid JSON at line %d, column %d: %v", line, col, se)
	}
	return fmt.Sprintf("invalid JSON: %v", err)
}

func position(data []byte, offset int64) (line, col int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	before := data[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(offset) - bytes.LastIndexByte(before, '\n')
	return line, col
}
