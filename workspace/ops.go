package workspace

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// now is the clock of modification times; tests may replace it.
var now = time.Now

func (w *Workspace) read(ctx context.Context, a wsArgs) (any, error) {
	p, err := cleanPath(a.Path)
	if err != nil {
		return nil, err
	}
	var content string
	err = w.view(ctx, func(t *tx) error {
		e, err := t.get(p)
		if err != nil {
			return err
		}
		if e == nil || e.dir {
			return t.notFile(p)
		}
		content = e.content
		return nil
	})
	return content, err
}

func (w *Workspace) write(ctx context.Context, a wsArgs) (any, error) {
	return w.put(ctx, a.Path, a.Content)
}

func (w *Workspace) writeJSON(ctx context.Context, a wsArgs) (any, error) {
	if maxFile := w.limits.MaxFileBytes; indentedSize(a.Value) > maxFile {
		return nil, fmt.Errorf("the value indented would be more than %d bytes, the most a file may hold; "+
			"write JSON.stringify(value) with write_file for a compact file, or split the value", maxFile)
	}
	var v any
	if err := json.Unmarshal(a.Value, &v); err != nil {
		return nil, fmt.Errorf("value is not JSON: %v", err)
	}
	// The file is read back as text: <, > and & stay as written, not \u003c.
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return w.put(ctx, a.Path, b.String())
}

// indentedSize is about the size of JSON raw indented by two spaces a
// level, as write_json writes it, counted without building it: deep
// nesting makes the indentation quadratic (5,000 nested arrays, 10 KB,
// indent to 50 MB).
func indentedSize(raw []byte) int64 {
	var n, depth int64
	inString, escaped := false, false
	for _, c := range raw {
		n++
		switch {
		case inString:
			escaped, inString = !escaped && c == '\\', inString && (escaped || c != '"')
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			n += 1 + 2*depth
		case c == '}' || c == ']':
			depth--
			n += 1 + 2*depth
		case c == ',':
			n += 1 + 2*depth
		case c == ':':
			n++
		}
	}
	return n
}

func (w *Workspace) readJSON(ctx context.Context, a wsArgs) (any, error) {
	v, err := w.read(ctx, a)
	if err != nil {
		return nil, err
	}
	var raw json.RawMessage
	if err := json.Unmarshal([]byte(v.(string)), &raw); err != nil {
		return nil, fmt.Errorf("%s does not hold JSON: %v; read_file returns its text", a.Path, err)
	}
	return raw, nil
}

// put creates or replaces the file at path, within the limits.
func (w *Workspace) put(ctx context.Context, path, content string) (any, error) {
	p, err := cleanPath(path)
	if err == nil {
		err = w.fits(p, int64(len(content)))
	}
	if err != nil {
		return nil, err
	}
	err = w.change(ctx, func(t *tx) error {
		if _, err := t.writable(p); err != nil {
			return err
		}
		return t.put(p, false, content, now())
	})
	return FileInfo{Path: p, Size: len(content)}, err
}

func (w *Workspace) appendTo(ctx context.Context, a wsArgs) (any, error) {
	p, err := cleanPath(a.Path)
	if err == nil {
		err = w.fits(p, int64(len(a.Content)))
	}
	if err != nil {
		return nil, err
	}
	var info FileInfo
	err = w.change(ctx, func(t *tx) error {
		old, err := t.writable(p)
		switch {
		case err != nil:
			return err
		case old.size < 0:
			info = FileInfo{Path: p, Size: len(a.Content)}
			return t.put(p, false, a.Content, now())
		}
		size := old.size + int64(len(a.Content))
		if err := w.fits(p, size); err != nil {
			return err
		}
		info = FileInfo{Path: p, Size: int(size)}
		return t.appendTo(p, a.Content, now())
	})
	return info, err
}

// writable returns the metadata of the file at p (size -1 when there is
// none), failing when p or one of its parents is in the way.
func (t *tx) writable(p string) (entry, error) {
	if err := t.parentsFree(p); err != nil {
		return entry{}, err
	}
	e, err := t.meta(p)
	switch {
	case err != nil:
		return entry{}, err
	case e == nil:
		return entry{size: -1}, t.notDirectory(p)
	case e.dir:
		return entry{}, fmt.Errorf("%q is a directory; name a file inside it", p)
	}
	return *e, nil
}

// notDirectory fails when p is implied as a directory by files under it.
func (t *tx) notDirectory(p string) error {
	s, err := t.summarize(p)
	if err == nil && s.rows > 0 {
		err = fmt.Errorf("%q is a directory; name a file inside it", p)
	}
	return err
}

// parentsFree fails when a parent of p is a file.
func (t *tx) parentsFree(p string) error {
	for i := strings.IndexByte(p, '/'); i >= 0; i = next(p, i) {
		e, err := t.meta(p[:i])
		if err != nil {
			return err
		}
		if e != nil && !e.dir {
			return fmt.Errorf("cannot use %q: %q is a file, not a directory", p, p[:i])
		}
	}
	return nil
}

// next is the index of the '/' after index i of p, or -1.
func next(p string, i int) int {
	j := strings.IndexByte(p[i+1:], '/')
	if j < 0 {
		return -1
	}
	return i + 1 + j
}

// fits fails, before any work, when a file at p of size bytes could never
// be kept: larger than a file may be, or than the whole quota.
func (w *Workspace) fits(p string, size int64) error {
	switch l := w.limits; {
	case size > l.MaxFileBytes:
		return fmt.Errorf("the file would be %d bytes; a file may hold at most %d bytes (split the data over several files)", size, l.MaxFileBytes)
	case size+int64(len(p)) > l.MaxBytes:
		return w.full()
	}
	return nil
}

func (w *Workspace) full() error {
	return fmt.Errorf("the workspace is full: this write would take it past %d bytes "+
		"(each file and directory counts its path and its content); delete some files first", w.limits.MaxBytes)
}

// change runs fn in a write transaction and keeps it only when the
// subject's files stay within the limits, or at least did not grow past
// them. Checking after the change covers every way a change grows them
// (a new file, a longer content, a move to a longer path) with one rule.
func (w *Workspace) change(ctx context.Context, fn func(t *tx) error) error {
	return w.update(ctx, func(t *tx) error {
		before, err := t.usageBefore()
		if err != nil {
			return err
		}
		if err := fn(t); err != nil {
			return err
		}
		after, err := t.usage()
		if err != nil {
			return err
		}
		return w.within(before, after)
	})
}

// within says whether usage may go from before to after.
func (w *Workspace) within(before, after usage) error {
	l := w.limits
	if after.entries > l.MaxFiles && after.entries > before.entries {
		return fmt.Errorf("the workspace is full: it holds the maximum of %d files; delete some first", l.MaxFiles)
	}
	if after.bytes > l.MaxBytes && after.bytes > before.bytes {
		return w.full()
	}
	return nil
}

func (w *Workspace) list(ctx context.Context, a wsArgs) (any, error) {
	match, err := globMatcher(a.Glob)
	if err != nil {
		return nil, err
	}
	prefix := strings.TrimPrefix(a.Prefix, "/")
	if err := checkLength("prefix", prefix); err != nil {
		return nil, err
	}
	from := prefix
	if g := globPrefix(a.Glob); len(g) > len(from) && strings.HasPrefix(g, from) {
		from = g
	}
	out := []FileInfo{}
	if hasControl(from) {
		return out, nil // no path has one; and PostgreSQL's TEXT cannot take NUL
	}
	n := 0
	err = w.view(ctx, func(t *tx) error {
		return t.under(from, func(e entry) error {
			if n++; n%16 == 0 && ctx.Err() != nil { // a glob can take 2 ms a path
				return fmt.Errorf("workspace: %w", ctx.Err())
			}
			if !e.dir && strings.HasPrefix(e.path, prefix) && match(e.path) {
				out = append(out, FileInfo{Path: e.path, Size: int(e.size)})
			}
			return nil
		})
	})
	return out, err
}

// Stat describes a path of the subject ctx carries, as the stat tool does.
func (w *Workspace) Stat(ctx context.Context, path string) (Stat, error) {
	v, err := w.stat(ctx, wsArgs{Path: path})
	if err != nil {
		return Stat{}, err
	}
	return v.(Stat), nil
}

func (w *Workspace) stat(ctx context.Context, a wsArgs) (any, error) {
	p, err := cleanDir(a.Path)
	if err != nil {
		return nil, err
	}
	st := Stat{Path: p}
	err = w.view(ctx, func(t *tx) error {
		st, err = t.stat(p)
		return err
	})
	return st, err
}

// stat describes p: a row, or a directory implied by the rows under it.
func (t *tx) stat(p string) (Stat, error) {
	st := Stat{Path: p}
	if p == "" {
		return Stat{Path: "", Exists: true, Type: "directory"}, nil
	}
	e, err := t.meta(p)
	if err != nil {
		return st, err
	}
	var s summary
	if e == nil || e.dir {
		if s, err = t.summarize(p); err != nil {
			return st, err
		}
	}
	if e == nil && s.rows == 0 {
		return st, nil
	}
	st.Exists, st.Type = true, "directory"
	if e != nil && !e.dir {
		st.Type = "file"
	}
	if s.rows > 0 {
		st.Size = s.size
		st.Created, st.Modified = earliest("", time.UnixMilli(s.created)), latest("", time.UnixMilli(s.modified))
	}
	if e != nil {
		st.Size += e.size
		st.Created, st.Modified = earliest(st.Created, e.created), latest(st.Modified, e.modified)
	}
	return st, nil
}

func earliest(s string, t time.Time) string {
	if v := t.UTC().Format(time.RFC3339); s == "" || v < s {
		return v
	}
	return s
}

func latest(s string, t time.Time) string {
	if v := t.UTC().Format(time.RFC3339); v > s {
		return v
	}
	return s
}

func (w *Workspace) mkdir(ctx context.Context, a wsArgs) (any, error) {
	p, err := cleanDir(a.Path)
	if err != nil {
		return nil, err
	}
	var st Stat
	err = w.change(ctx, func(t *tx) error {
		if st, err = t.stat(p); err != nil || st.Type == "directory" {
			return err
		}
		if st.Type == "file" {
			return fmt.Errorf("%q is a file, not a directory", p)
		}
		if err := t.parentsFree(p); err != nil {
			return err
		}
		if err := t.put(p, true, "", now()); err != nil {
			return err
		}
		st, err = t.stat(p)
		return err
	})
	return st, err
}

func (w *Workspace) delete(ctx context.Context, a wsArgs) (any, error) {
	p, err := cleanPath(a.Path)
	if err != nil {
		return nil, err
	}
	var info FileInfo
	err = w.update(ctx, func(t *tx) error {
		st, err := t.stat(p)
		switch {
		case err != nil:
			return err
		case !st.Exists:
			return t.missing(p)
		case st.Type == "directory" && !a.Recursive:
			return fmt.Errorf("%q is a directory; pass recursive: true to delete it and everything in it", p)
		}
		info = FileInfo{Path: p, Size: int(st.Size)}
		return t.remove(p, st.Type == "directory")
	})
	return info, err
}

func (w *Workspace) move(ctx context.Context, a wsArgs) (any, error) {
	from, err := cleanPath(a.From)
	if err != nil {
		return nil, err
	}
	to, err := cleanPath(a.To)
	if err != nil {
		return nil, err
	}
	err = w.change(ctx, func(t *tx) error { return t.move(from, to, a.Overwrite) })
	return map[string]string{"from": from, "to": to}, err
}

// move renames from (a file, or a directory with its contents) to to.
func (t *tx) move(from, to string, overwrite bool) error {
	src, err := t.stat(from)
	if err != nil {
		return err
	}
	if !src.Exists {
		return t.missing(from)
	}
	if from == to {
		return nil
	}
	if strings.HasPrefix(to+"/", from+"/") {
		return fmt.Errorf("cannot move %q into itself (%q)", from, to)
	}
	if err := t.parentsFree(to); err != nil {
		return err
	}
	dst, err := t.stat(to)
	switch {
	case err != nil:
		return err
	case dst.Exists && (!overwrite || dst.Type == "directory" || src.Type == "directory"):
		return fmt.Errorf("%q exists; pass overwrite: true to replace a file (a directory is never replaced)", to)
	case dst.Exists:
		if err := t.remove(to, false); err != nil {
			return err
		}
	}
	if err := t.rename(from, to); err != nil {
		return err
	}
	return t.pathsFit(from, to)
}

// pathsFit fails when a move from from to to made a path longer than a
// path may be.
func (t *tx) pathsFit(from, to string) error {
	n, err := t.longestUnder(to)
	if err == nil && n > maxPathBytes {
		err = fmt.Errorf("moving %q to %q would make a path of %d bytes; a path may have at most %d bytes", from, to, n, maxPathBytes)
	}
	return err
}

// missing says a file does not exist and how many do.
func (t *tx) missing(p string) error {
	u, err := t.usage()
	if err != nil {
		return err
	}
	files := u.files
	if files == 0 {
		return fmt.Errorf("no file %q: the workspace is empty", p)
	}
	return fmt.Errorf("no file %q in the workspace; list_files shows the %d that exist", p, files)
}

// notFile explains why there is no file at p: it is a directory, or
// nothing.
func (t *tx) notFile(p string) error {
	st, err := t.stat(p)
	switch {
	case err != nil:
		return err
	case st.Type == "directory":
		return fmt.Errorf("%q is a directory; list_files({ prefix: %q }) lists its files", p, p+"/")
	}
	return t.missing(p)
}
