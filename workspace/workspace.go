package workspace

import (
	"context"
	"encoding/json"
	"errors"
	"sync"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mcp-codemode/mcp-codemode/store"
	"github.com/mcp-codemode/mcp-codemode/tools"
)

// Namespace is the namespace of the built-in workspace tools.
const Namespace = "workspace"

// Workspace is a file store for scripts: they keep data and code there
// between executions without passing it through the model. Files live in
// the store (package store): SQLite in a data directory, so they survive
// restarts, PostgreSQL shared by every replica, or memory. Paths are
// virtual: "notes/todo.md", with or without a leading "/", never leaving
// the workspace root; no host path, symlink or ".." above the root can be
// named. It is safe for concurrent use.
//
// Each subject (see tools.WithSubject) has its own files, and the limits
// apply to each subject's files apart: a call only ever sees the files of
// the subject its context carries.
type Workspace struct {
	limits Limits
	gates  gates

	once  sync.Once
	store *store.Store
	own   bool // the store is one New opened in memory; Close closes it
	err   error
}

// Limits bound each subject's files. A zero field means its default.
type Limits struct {
	// MaxBytes bounds the total size of one subject's files, each file
	// and directory costing its path and its content; 0 means 100 MB.
	MaxBytes int64
	// MaxFiles bounds the number of one subject's files and directories;
	// 0 means 10,000.
	MaxFiles int
	// MaxFileBytes bounds one file; 0 means 16 MiB, the largest result a
	// sandbox takes (a larger file could only be read to be refused), and
	// what one append or read costs the server at most.
	MaxFileBytes int64
}

// withDefaults returns l with its zero fields set to their defaults.
func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = 100 << 20
	}
	if l.MaxFiles <= 0 {
		l.MaxFiles = 10000
	}
	if l.MaxFileBytes <= 0 {
		l.MaxFileBytes = 16 << 20
	}
	return l
}

// New returns the workspace kept in st, within limits. A nil st means a
// store of its own in memory, opened at the first call and closed by
// Close; a store the caller passed is the caller's to close.
func New(st *store.Store, limits Limits) *Workspace {
	return &Workspace{store: st, own: st == nil, limits: limits.withDefaults()}
}

// database returns the store, opening the in-memory one on first use.
func (w *Workspace) database() (*store.Store, error) {
	w.once.Do(func() {
		if w.own {
			w.store, w.err = store.Open(context.Background(), store.Options{})
		}
	})
	return w.store, w.err
}

// Close closes the in-memory store New opened, if any; the workspace must
// not be used after.
func (w *Workspace) Close() error {
	if st, err := w.database(); err == nil && w.own {
		return st.Close()
	}
	return nil
}

// FileInfo describes one workspace file.
type FileInfo struct {
	Path string `json:"path"`
	Size int    `json:"size"`
}

// Stat describes a path: whether it exists and what it is.
type Stat struct {
	Path     string `json:"path"`
	Exists   bool   `json:"exists"`
	Type     string `json:"type,omitempty"` // "file" or "directory"
	Size     int64  `json:"size,omitempty"`
	Created  string `json:"created,omitempty"` // RFC 3339, UTC
	Modified string `json:"modified,omitempty"`
}

// Tools returns the workspace tools, namespace "workspace". Reading tools
// are annotated readOnlyHint, delete_file destructiveHint (so that
// codemode.approve_destructive covers it).
func (w *Workspace) Tools() []tools.Tool {
	ts := w.tools()
	yes := true
	for i := range ts {
		switch ts[i].Name {
		case "read_file", "read_json", "list_files", "stat":
			ts[i].Annotations.ReadOnlyHint = &yes
		case "delete_file":
			ts[i].Annotations.DestructiveHint = &yes
		}
	}
	return ts
}

func (w *Workspace) tools() []tools.Tool {
	return []tools.Tool{
		w.tool("read_file", "Read a workspace file and return its content as a string. Fails when the file does not exist.",
			object(`"path":`+pathProp, "path"), `{"type":"string","description":"The file's content."}`, w.read),
		w.tool("write_file", "Create or overwrite a workspace file (parent directories are implied). Files persist between executions.",
			object(`"path":`+pathProp+`,"content":{"type":"string","description":"The complete new content of the file."}`, "path", "content"),
			fileInfoSchema, w.write),
		w.tool("append_file", "Append text to a workspace file, creating it when missing.",
			object(`"path":`+pathProp+`,"content":{"type":"string","description":"Text to add at the end."}`, "path", "content"),
			fileInfoSchema, w.appendTo),
		w.tool("read_json", "Read a workspace file holding JSON and return the parsed value.",
			object(`"path":`+pathProp, "path"), `{"description":"The parsed JSON value."}`, w.readJSON),
		w.tool("write_json", "Write a JSON-serialisable value to a workspace file as indented JSON.",
			object(`"path":`+pathProp+`,"value":{"description":"Any JSON value."}`, "path", "value"), fileInfoSchema, w.writeJSON),
		w.tool("list_files", "List workspace files, sorted by path: all, those under a prefix, or those matching a glob (\"*\" within a name, \"**\" across directories).",
			object(`"prefix":{"type":"string","description":"Only files whose path starts with this, e.g. \"notes/\"."},"glob":{"type":"string","description":"Only files whose path matches, e.g. \"notes/**/*.md\"."}`),
			`{"type":"array","items":`+fileInfoSchema+`}`, w.list),
		w.tool("stat", "Check whether a path exists and whether it is a file or a directory, with its size and times.",
			object(`"path":`+pathProp, "path"), statSchema, w.stat),
		w.tool("move_file", "Move or rename a file or directory (with everything under it). Fails when the target exists unless overwrite is true.",
			object(`"from":`+pathProp+`,"to":`+pathProp+`,"overwrite":{"type":"boolean","description":"Replace an existing file at the target."}`, "from", "to"),
			`{"type":"object","properties":{"from":{"type":"string"},"to":{"type":"string"}},"required":["from","to"]}`, w.move),
		w.tool("delete_file", "Delete a workspace file, or a directory when recursive is true (with everything under it). Fails when nothing is there.",
			object(`"path":`+pathProp+`,"recursive":{"type":"boolean","description":"Also delete a directory and its contents."}`, "path"),
			fileInfoSchema, w.delete),
		w.tool("mkdir", "Create a directory (and its parents); does nothing when it exists.",
			object(`"path":`+pathProp, "path"), statSchema, w.mkdir),
	}
}

// object is the JSON Schema of an argument object with properties props
// (JSON text without braces) and the required names.
func object(props string, required ...string) string {
	req, _ := json.Marshal(required)
	if len(required) == 0 {
		req = []byte("[]")
	}
	return `{"type":"object","properties":{` + props + `},"required":` + string(req) + `,"additionalProperties":false}`
}

const (
	pathProp       = `{"type":"string","description":"File path inside the workspace, e.g. \"notes/todo.md\"."}`
	fileInfoSchema = `{"type":"object","properties":{"path":{"type":"string","description":"Normalised path."},"size":{"type":"integer","description":"Size in bytes."}},"required":["path","size"]}`
	statSchema     = `{"type":"object","properties":{"path":{"type":"string"},"exists":{"type":"boolean"},` +
		`"type":{"enum":["file","directory"]},"size":{"type":"integer"},"created":{"type":"string"},"modified":{"type":"string"}},"required":["path","exists"]}`
)

func (w *Workspace) tool(name, desc, in, out string, fn func(ctx context.Context, args wsArgs) (any, error)) tools.Tool {
	t := tools.NewTool(Namespace, name, desc, json.RawMessage(in), func(ctx context.Context, raw json.RawMessage) (*mcp.CallToolResult, error) {
		var args wsArgs
		if err := json.Unmarshal(raw, &args); err != nil {
			return mcp.NewToolResultError("invalid arguments: " + err.Error()), nil
		}
		v, err := fn(ctx, args)
		var se *tools.StoreError
		switch {
		case errors.As(err, &se):
			return nil, se // the registry passes it on, named StoreError
		case err != nil:
			return mcp.NewToolResultError(err.Error()), nil
		}
		return structuredResult(v)
	})
	t.OutputSchema = json.RawMessage(out)
	return t
}

type wsArgs struct {
	Path      string          `json:"path"`
	Content   string          `json:"content"`
	Prefix    string          `json:"prefix"`
	Glob      string          `json:"glob"`
	Value     json.RawMessage `json:"value"`
	From      string          `json:"from"`
	To        string          `json:"to"`
	Overwrite bool            `json:"overwrite"`
	Recursive bool            `json:"recursive"`
}

func structuredResult(v any) (*mcp.CallToolResult, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return mcp.NewToolResultStructured(json.RawMessage(data), string(data)), nil
}

// ReadFile returns the content of a file of the subject ctx carries.
func (w *Workspace) ReadFile(ctx context.Context, path string) (string, error) {
	v, err := w.read(ctx, wsArgs{Path: path})
	if err != nil {
		return "", err
	}
	return v.(string), nil
}

// WriteFile creates or replaces a file of the subject ctx carries, within
// the limits.
func (w *Workspace) WriteFile(ctx context.Context, path, content string) error {
	_, err := w.write(ctx, wsArgs{Path: path, Content: content})
	return err
}

// Glob lists the files of the subject ctx carries whose path matches a
// pattern of list_files.
func (w *Workspace) Glob(ctx context.Context, pattern string) ([]FileInfo, error) {
	v, err := w.list(ctx, wsArgs{Glob: pattern})
	if err != nil {
		return nil, err
	}
	return v.([]FileInfo), nil
}
