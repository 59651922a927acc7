package modules

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/evanw/esbuild/pkg/api"

	"github.com/mcp-codemode/mcp-codemode/sandbox"
)

// Workspace is where Bundle reads the imported files: the workspace of
// the execution's subject, never the host's file system. Paths are
// normalised ("lib/util.ts").
type Workspace interface {
	// Size returns the size of the file at path in bytes, or an error
	// when there is no such file. Bundle asks before reading, so that it
	// never reads a file over its limit.
	Size(ctx context.Context, path string) (int64, error)
	// Read returns the content of the file at path.
	Read(ctx context.Context, path string) (string, error)
}

// Error is a failed import: what went wrong, on which line of the code.
type Error struct {
	Line    int // 1-based line of the import declaration; 0 unknown
	Message string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s (line %d)", e.Message, e.Line)
	}
	return e.Message
}

// GlobalName is the variable the bundle defines in the model's code.
const GlobalName = "__codemode_imports"

// importDecl matches a static import declaration at the start of a line:
// the clause (empty for a side-effect import) and the specifier.
var importDecl = regexp.MustCompile(`(?m)^[ \t]*import[ \t]+(?:([^;'"()]*?)[ \t\r\n]*from[ \t\r\n]*)?(["'])([^"'\r\n]*)["'][ \t]*;?`)

// Bundle returns code with its imports of workspace files bundled in, and
// code itself when it imports nothing. maxBytes is the code size limit
// (0 means sandbox.DefaultMaxCodeBytes): the code and every file it
// imports together stay within it, a file over it is not read, and every
// text passes sandbox.CheckSource before esbuild parses it. A file that
// cannot be resolved, read or compiled, or that breaks a limit, is an
// *Error; when ctx ends first, the error is ctx's.
func Bundle(ctx context.Context, code string, ws Workspace, maxBytes int) (string, error) {
	return BundleAt(ctx, code, "", ws, maxBytes)
}

// BundleAt is Bundle for code kept in the workspace file at file (a saved
// snippet, "snippets/x.ts"): its relative imports are resolved from that
// file's directory, as they would be from the file itself ("../lib/u.ts").
func BundleAt(ctx context.Context, code, file string, ws Workspace, maxBytes int) (string, error) {
	out, _, err := BundleMapped(ctx, code, file, ws, maxBytes)
	return out, err
}

// BundleMapped is BundleAt that also returns the Origins of the bundle,
// to place errors thrown inside the imported files (nil when the code
// imports nothing).
func BundleMapped(ctx context.Context, code, file string, ws Workspace, maxBytes int) (string, *Origins, error) {
	if maxBytes <= 0 {
		maxBytes = sandbox.DefaultMaxCodeBytes
	}
	if err := sandbox.CheckSource(code, maxBytes); err != nil {
		return "", nil, &Error{Line: err.Line, Message: err.Message}
	}
	decls := findImports(code)
	if len(decls) == 0 {
		return code, nil, nil
	}
	mods := map[string]string{} // workspace path → module variable
	var order []string
	for i := range decls {
		d := &decls[i]
		if typeOnly(d.clause) {
			continue // TypeScript erases it: the file need not exist
		}
		p, err := resolve(file, d.spec)
		if err != nil {
			return "", nil, &Error{Line: d.line, Message: err.Error()}
		}
		if _, ok := mods[p]; !ok {
			mods[p] = fmt.Sprintf("m%d", len(order))
			order = append(order, p)
		}
		d.module = mods[p]
	}
	if len(order) == 0 {
		out, err := rewrite(code, decls, "")
		return out, nil, err
	}
	b := &budget{limit: maxBytes, code: len(code)}
	defer b.release()
	bundle, sourceMap, err := build(ctx, order, mods, &loader{ws: ws, budget: b})
	switch {
	case ctx.Err() != nil:
		return "", nil, ctx.Err()
	case err != nil:
		return "", nil, &Error{Line: decls[0].line, Message: err.Error()}
	}
	if err := b.output(len(bundle)); err != nil {
		return "", nil, &Error{Line: decls[0].line, Message: err.Error()}
	}
	out, err := rewrite(code, decls, bundle)
	if err != nil {
		return "", nil, err
	}
	return out, newOrigins(out, decls[0].start, bundle, sourceMap), nil
}

// Stub returns code with its import declarations replaced, line for
// line, by the bindings Bundle would make, without reading or bundling
// the files: code to compile, not to run (the bindings read an undefined
// variable).
func Stub(code string) (string, error) {
	decls := findImports(code)
	if len(decls) == 0 {
		return code, nil
	}
	for i := range decls {
		decls[i].module = "m0"
	}
	return rewrite(code, decls, "")
}

// decl is one import declaration of the code.
type decl struct {
	start, end int // byte offsets in the code
	line       int
	clause     string
	spec       string
	module     string // the bundle's variable for it
}

func findImports(code string) []decl {
	var out []decl
	for _, m := range importDecl.FindAllStringSubmatchIndex(code, -1) {
		d := decl{start: m[0], end: m[1], line: 1 + strings.Count(code[:m[0]], "\n"), spec: code[m[6]:m[7]]}
		if m[2] >= 0 {
			d.clause = strings.TrimSpace(code[m[2]:m[3]])
		}
		out = append(out, d)
	}
	return out
}

// typeOnly reports whether an import clause imports only types
// ("type { A }", "{ type A, type B }"), which import nothing at run time.
func typeOnly(clause string) bool {
	clause = strings.Join(strings.Fields(clause), " ")
	if clause == "type" || strings.HasPrefix(clause, "type ") {
		return !defaultRe().MatchString(clause) // else a default import named type
	}
	m := named.FindStringSubmatch(clause)
	if m == nil || strings.TrimSpace(m[1]) == "" {
		return false
	}
	for _, s := range strings.Split(m[1], ",") {
		if s = strings.TrimSpace(s); s != "" && !strings.HasPrefix(s, "type ") {
			return false
		}
	}
	return true
}

// resolve resolves spec imported from the file at importer ("" for the
// root) to a workspace path; extensions are guessed when loading.
func resolve(importer, spec string) (string, error) {
	dir := path.Dir(importer)
	switch {
	case strings.HasPrefix(spec, "/"):
		dir, spec = ".", "."+spec
	case strings.HasPrefix(spec, "./"), strings.HasPrefix(spec, "../"):
	default:
		return "", fmt.Errorf("import %q: only workspace files can be imported, by a relative path such as \"./lib/util.ts\"", spec)
	}
	p := path.Join(dir, spec)
	switch {
	case p == ".." || strings.HasPrefix(p, "../"):
		return "", fmt.Errorf("import %q leaves the workspace: \"..\" cannot climb above its root", spec)
	case p == "." || strings.HasSuffix(spec, "/"):
		return "", fmt.Errorf("import %q names a directory; name a file such as \"./lib/util.ts\"", spec)
	}
	return p, nil
}

// build bundles the modules into one line of JavaScript defining
// GlobalName, whose property mN is the namespace of module N. The build is
// cancelled when ctx ends.
func build(ctx context.Context, order []string, mods map[string]string, l *loader) (string, []byte, error) {
	var entry strings.Builder
	for _, p := range order {
		fmt.Fprintf(&entry, "export * as %s from %q;\n", mods[p], "/"+p)
	}
	bc, cerr := api.Context(api.BuildOptions{
		Stdin:             &api.StdinOptions{Contents: entry.String(), Sourcefile: "imports.ts", Loader: api.LoaderTS},
		Bundle:            true,
		Write:             false,
		Format:            api.FormatIIFE,
		GlobalName:        GlobalName,
		Platform:          api.PlatformNeutral,
		Target:            api.ES2020,
		Supported:         map[string]bool{"template-literal": false},
		MinifyWhitespace:  true,
		LegalComments:     api.LegalCommentsNone,
		Charset:           api.CharsetUTF8,
		LogLevel:          api.LogLevelSilent,
		LogOverride:       sandbox.QuietWarnings,
		AbsWorkingDir:     "/",
		Plugins:           []api.Plugin{workspacePlugin(ctx, l)},
		TreeShaking:       api.TreeShakingFalse,
		IgnoreAnnotations: true,
		// The map places errors in the imported files (Origins); the
		// files' own inline maps (loader.compile) lead it back to their
		// TypeScript.
		Sourcemap:      api.SourceMapExternal,
		SourcesContent: api.SourcesContentExclude,
		Outfile:        bundleFile,
	})
	if cerr != nil {
		return "", nil, buildError(cerr.Errors[0])
	}
	defer bc.Dispose()
	defer context.AfterFunc(ctx, bc.Cancel)()
	res := bc.Rebuild()
	if len(res.Errors) > 0 {
		return "", nil, buildError(res.Errors[0])
	}
	var js, sourceMap []byte
	for _, f := range res.OutputFiles {
		switch f.Path {
		case "/" + bundleFile:
			js = f.Contents
		case "/" + bundleFile + ".map":
			sourceMap = f.Contents
		default:
			return "", nil, fmt.Errorf("bundling the imports produced an unexpected file %s", f.Path)
		}
	}
	out := strings.TrimRight(string(js), "\n")
	if strings.ContainsAny(out, "\n\r\u2028\u2029") {
		return "", nil, fmt.Errorf("the imported files cannot be bundled on one line (a line break esbuild keeps)")
	}
	return out, sourceMap, nil
}

// bundleFile names the bundle for esbuild, which writes nothing (Write is
// false): the source map needs an output file.
const bundleFile = "bundle.js"

// buildError says what esbuild refused, and where in which file.
func buildError(m api.Message) error {
	if m.Location == nil || m.Location.File == "imports.ts" {
		return fmt.Errorf("%s", m.Text)
	}
	return fmt.Errorf("%s:%d:%d: %s", strings.TrimPrefix(m.Location.File, "workspace:"), m.Location.Line, m.Location.Column+1, m.Text)
}

// workspacePlugin resolves every import to a workspace file and loads it
// through l: esbuild never reads the host's file system.
func workspacePlugin(ctx context.Context, l *loader) api.Plugin {
	return api.Plugin{Name: "workspace", Setup: func(b api.PluginBuild) {
		b.OnResolve(api.OnResolveOptions{Filter: ".*"}, func(a api.OnResolveArgs) (api.OnResolveResult, error) {
			importer := ""
			if a.Namespace == "workspace" {
				importer = a.Importer
			}
			p, err := resolve(importer, a.Path)
			if err != nil {
				return api.OnResolveResult{}, err
			}
			return api.OnResolveResult{Path: p, Namespace: "workspace"}, nil
		})
		b.OnLoad(api.OnLoadOptions{Filter: ".*", Namespace: "workspace"}, func(a api.OnLoadArgs) (api.OnLoadResult, error) {
			text, p, err := l.load(ctx, a.Path)
			if err != nil {
				return api.OnLoadResult{}, err
			}
			// A TypeScript file is compiled by load, but still loaded as
			// TypeScript: its JavaScript parses the same, and esbuild lets
			// a TypeScript file re-export a name it does not find (a type).
			return api.OnLoadResult{Contents: &text, Loader: loaderFor(p)}, nil
		})
	}}
}

func loaderFor(p string) api.Loader {
	switch path.Ext(p) {
	case ".js", ".mjs", ".cjs":
		return api.LoaderJS
	case ".json":
		return api.LoaderJSON
	}
	return api.LoaderTS
}
