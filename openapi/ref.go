package openapi

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	yaml "github.com/pb33f/go-yaml"
	"github.com/pb33f/libopenapi/datamodel"
)

// A document's $refs resolve inside it and in files of its folder (or
// below): a $ref that leaves the folder, or names a URL, is refused. A
// document fetched from a URL resolves only its own $refs.

// file is one parsed document: the spec, or a file a $ref names.
type file struct {
	name string // as shown in messages: the spec as configured, or the path of the referenced file
	path string // absolute; "" for a fetched document
	root *yaml.Node
}

// loc is a place in a file: the file and a JSON pointer ("/paths/~1pets").
type loc struct {
	file *file
	ptr  string
}

func (l loc) String() string { return "#" + l.ptr }

// at is the location of a child of l.
func (l loc) at(tokens ...string) loc {
	for _, t := range tokens {
		l.ptr += "/" + escapeToken(t)
	}
	return l
}

// resolver follows $refs, loading the files they name once.
type resolver struct {
	spec  string // the document as configured, for messages
	dir   string // the folder $refs may reach; "" when no file may be read
	main  *file
	files map[string]*file
}

func (r *resolver) errorf(at loc, n *yaml.Node, format string, args ...any) *SpecError {
	ptr := at.String()
	if at.file != nil && at.file != r.main {
		ptr = at.file.name + ptr
	}
	return &SpecError{Spec: r.spec, Pointer: ptr, Line: line(n), Msg: fmt.Sprintf(format, args...)}
}

// resolve follows ref, written at from (the $ref member's object), to its
// target node and location.
func (r *resolver) resolve(from loc, n *yaml.Node, ref string) (*yaml.Node, loc, error) {
	at := from.at("$ref")
	target, frag, _ := strings.Cut(ref, "#")
	f := from.file
	if target != "" {
		var err error
		if f, err = r.load(at, n, from.file, target, ref); err != nil {
			return nil, loc{}, err
		}
	}
	ptr, err := url.PathUnescape(frag)
	if err != nil {
		ptr = frag
	}
	node, err := r.pointer(f.root, ptr)
	if err != nil {
		return nil, loc{}, r.errorf(at, n, "%q does not exist in %s (%v); point the $ref at something that does", ref, f.name, err)
	}
	return node, loc{file: f, ptr: ptr}, nil
}

// load reads the file target names, relative to the file from.
func (r *resolver) load(at loc, n *yaml.Node, from *file, target, ref string) (*file, error) {
	if u, err := url.Parse(target); err == nil && u.Scheme != "" {
		return nil, r.errorf(at, n, "%q is a URL; only $refs inside the document and to files beside it are followed: save the referenced document beside the spec and name the file", ref)
	}
	if r.dir == "" || from.path == "" {
		return nil, r.errorf(at, n, "%q names another file, which a document fetched from a URL cannot reach; save the documents in one folder and name the file in \"spec\"", ref)
	}
	path := filepath.Join(filepath.Dir(from.path), target)
	if rel, err := filepath.Rel(r.dir, path); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return nil, r.errorf(at, n, "%q is outside the spec's folder %s; only files in that folder (or below) are read: move the file there", ref, r.dir)
	}
	if f := r.files[path]; f != nil {
		return f, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, r.errorf(at, n, "%q cannot be read: %v", target, unwrapPath(err))
	}
	info, err := datamodel.ExtractSpecInfoWithConfig(data, &datamodel.DocumentConfiguration{BypassDocumentCheck: true, SkipJSONConversion: true})
	if err != nil {
		return nil, r.errorf(at, n, "%q is not JSON or YAML: %v", target, err)
	}
	f := &file{name: target, path: path, root: info.RootNode}
	r.files[path] = f
	return f, nil
}

func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// pointer finds a JSON pointer ("/components/schemas/Pet") under root.
func (r *resolver) pointer(root *yaml.Node, ptr string) (*yaml.Node, error) {
	n := deref(root)
	if ptr == "" {
		return n, nil
	}
	if !strings.HasPrefix(ptr, "/") {
		return nil, fmt.Errorf("a JSON pointer starts with \"/\"")
	}
	for tok := range strings.SplitSeq(ptr[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch {
		case n == nil:
			return nil, fmt.Errorf("nothing at %q", tok)
		case n.Kind == yaml.MappingNode:
			next := get(n, tok)
			if next == nil {
				return nil, fmt.Errorf("no member %q", tok)
			}
			n = next
		case n.Kind == yaml.SequenceNode:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(n.Content) {
				return nil, fmt.Errorf("no element %q", tok)
			}
			n = deref(n.Content[i])
		default:
			return nil, fmt.Errorf("%q is inside a value that has no members", tok)
		}
	}
	return n, nil
}

// follow resolves a chain of $refs (a parameter that is a $ref to
// another) to the first node that is none, at most 32 deep.
func (r *resolver) follow(at loc, n *yaml.Node) (*yaml.Node, loc, error) {
	for range 32 {
		ref := get(n, "$ref")
		if ref == nil {
			return n, at, nil
		}
		var err error
		if n, at, err = r.resolve(at, n, str(ref)); err != nil {
			return nil, at, err
		}
	}
	return nil, at, r.errorf(at, n, "$refs lead to $refs more than 32 times (a loop?); point the $ref at the object itself")
}
