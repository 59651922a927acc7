package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/mark3labs/mcp-go/mcp"
)

// WorkspaceNamespace is the namespace of the built-in workspace tools.
const WorkspaceNamespace = "workspace"

// Workspace is an in-memory file store that lives as long as the process:
// scripts use it to keep data between executions without passing it
// through the model. Paths are virtual: "notes/todo.md", with or without a
// leading "/", never leaving the workspace root. It is safe for concurrent
// use.
//
// Each subject (see WithSubject) has its own files, and the limits apply to
// each subject's files apart: a call only ever sees the files of the
// subject its context carries.
type Workspace struct {
	// MaxBytes bounds the total size of one subject's files; 0 means 100 MB.
	MaxBytes int64
	// MaxFiles bounds the number of one subject's files; 0 means 10,000.
	MaxFiles int

	mu     sync.Mutex
	stores map[string]*fileStore // by subject
}

// fileStore is the files of one subject.
type fileStore struct {
	mu    sync.Mutex
	files map[string]string
	size  int64
}

// NewWorkspace returns an empty workspace with the default limits.
func NewWorkspace() *Workspace {
	return &Workspace{stores: map[string]*fileStore{}}
}

// store returns the files of the subject ctx carries, creating them on first
// use. It is the one place that decides where a call's files live.
func (w *Workspace) store(ctx context.Context) *fileStore {
	subject := Subject(ctx)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stores == nil {
		w.stores = map[string]*fileStore{}
	}
	fs := w.stores[subject]
	if fs == nil {
		fs = &fileStore{files: map[string]string{}}
		w.stores[subject] = fs
	}
	return fs
}

// FileInfo describes one workspace file.
type FileInfo struct {
	Path string `json:"path"`
	Size int    `json:"size"`
}

// Tools returns the workspace tools, namespace "workspace".
func (w *Workspace) Tools() []Tool {
	return []Tool{
		w.tool("read_file", "Read a workspace file and return its content as a string. Fails when the file does not exist.",
			`{"type":"object","properties":{"path":`+pathProp+`},"required":["path"],"additionalProperties":false}`,
			`{"type":"string","description":"The file's content."}`, w.read),
		w.tool("write_file", "Create or overwrite a workspace file. Files live in memory for as long as the server runs, so later executions can read them.",
			`{"type":"object","properties":{"path":`+pathProp+`,"content":{"type":"string","description":"The complete new content of the file."}},"required":["path","content"],"additionalProperties":false}`,
			fileInfoSchema, w.write),
		w.tool("list_files", "List workspace files, sorted by path, optionally only those whose path starts with a prefix.",
			`{"type":"object","properties":{"prefix":{"type":"string","description":"Only list files whose path starts with this, e.g. \"notes/\"."}},"additionalProperties":false}`,
			`{"type":"array","items":`+fileInfoSchema+`}`, w.list),
		w.tool("delete_file", "Delete a workspace file. Fails when the file does not exist.",
			`{"type":"object","properties":{"path":`+pathProp+`},"required":["path"],"additionalProperties":false}`,
			fileInfoSchema, w.delete),
	}
}

const (
	pathProp       = `{"type":"string","description":"File path inside the workspace, e.g. \"notes/todo.md\"."}`
	fileInfoSchema = `{"type":"object","properties":{"path":{"type":"string","description":"Normalised path."},"size":{"type":"integer","description":"Size in bytes."}},"required":["path","size"]}`
)

func (w *Workspace) tool(name, desc, in, out string, fn func(fs *fileStore, args wsArgs) (any, error)) Tool {
	t := NewTool(WorkspaceNamespace, name, desc, json.RawMessage(in), func(ctx context.Context, raw json.RawMessage) (*mcp.CallToolResult, error) {
		var args wsArgs
		if err := json.Unmarshal(raw, &args); err != nil {
			return mcp.NewToolResultError("invalid arguments: " + err.Error()), nil
		}
		v, err := fn(w.store(ctx), args)
		if err != nil {
			return mcp.NewToolResultError(err.Error()), nil
		}
		return structuredResult(v)
	})
	t.OutputSchema = json.RawMessage(out)
	return t
}

type wsArgs struct {
	Path    string `json:"path"`
	Content string `json:"content"`
	Prefix  string `json:"prefix"`
}

func structuredResult(v any) (*mcp.CallToolResult, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return mcp.NewToolResultStructured(json.RawMessage(data), string(data)), nil
}

func (w *Workspace) read(fs *fileStore, a wsArgs) (any, error) {
	p, err := cleanPath(a.Path)
	if err != nil {
		return nil, err
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	content, ok := fs.files[p]
	if !ok {
		return nil, fs.missing(p)
	}
	return content, nil
}

func (w *Workspace) write(fs *fileStore, a wsArgs) (any, error) {
	p, err := cleanPath(a.Path)
	if err != nil {
		return nil, err
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	old, exists := fs.files[p]
	if err := w.checkLimits(fs, exists, int64(len(a.Content)-len(old))); err != nil {
		return nil, err
	}
	fs.files[p] = a.Content
	fs.size += int64(len(a.Content) - len(old))
	return FileInfo{Path: p, Size: len(a.Content)}, nil
}

// checkLimits says whether fs may grow by grow bytes (and one file when the
// path is new); fs.mu must be held.
func (w *Workspace) checkLimits(fs *fileStore, exists bool, grow int64) error {
	maxBytes, maxFiles := w.MaxBytes, w.MaxFiles
	if maxBytes <= 0 {
		maxBytes = 100 << 20
	}
	if maxFiles <= 0 {
		maxFiles = 10000
	}
	if !exists && len(fs.files) >= maxFiles {
		return fmt.Errorf("the workspace is full: it holds the maximum of %d files; delete some first", maxFiles)
	}
	if fs.size+grow > maxBytes {
		return fmt.Errorf("the workspace is full: this write would take it past %d bytes; delete some files first", maxBytes)
	}
	return nil
}

func (w *Workspace) list(fs *fileStore, a wsArgs) (any, error) {
	prefix := strings.TrimPrefix(a.Prefix, "/")
	fs.mu.Lock()
	defer fs.mu.Unlock()
	out := []FileInfo{}
	for p, content := range fs.files {
		if strings.HasPrefix(p, prefix) {
			out = append(out, FileInfo{Path: p, Size: len(content)})
		}
	}
	slices.SortFunc(out, func(a, b FileInfo) int { return strings.Compare(a.Path, b.Path) })
	return out, nil
}

func (w *Workspace) delete(fs *fileStore, a wsArgs) (any, error) {
	p, err := cleanPath(a.Path)
	if err != nil {
		return nil, err
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	content, ok := fs.files[p]
	if !ok {
		return nil, fs.missing(p)
	}
	delete(fs.files, p)
	fs.size -= int64(len(content))
	return FileInfo{Path: p, Size: len(content)}, nil
}

// missing says a file does not exist and what does; fs.mu must be held.
func (fs *fileStore) missing(p string) error {
	if len(fs.files) == 0 {
		return fmt.Errorf("no file %q: the workspace is empty", p)
	}
	return fmt.Errorf("no file %q in the workspace; list_files shows the %d that exist", p, len(fs.files))
}

// cleanPath normalises a virtual path: "/a//b/./c" is "a/b/c". An empty
// path, a directory ("/", "a/..") and one that climbs out with ".." are
// refused.
func cleanPath(p string) (string, error) {
	if strings.TrimSpace(p) == "" {
		return "", fmt.Errorf("path is empty; name a file such as \"notes.txt\"")
	}
	if strings.ContainsRune(p, 0) {
		return "", fmt.Errorf("path %q contains a NUL character", p)
	}
	var parts []string
	for _, seg := range strings.Split(p, "/") {
		switch seg {
		case "", ".":
		case "..":
			if len(parts) == 0 {
				return "", fmt.Errorf("path %q leaves the workspace: \"..\" cannot climb above its root", p)
			}
			parts = parts[:len(parts)-1]
		default:
			parts = append(parts, seg)
		}
	}
	if len(parts) == 0 || strings.HasSuffix(p, "/") {
		return "", fmt.Errorf("path %q names a directory; name a file such as \"notes/todo.md\"", p)
	}
	return strings.Join(parts, "/"), nil
}
