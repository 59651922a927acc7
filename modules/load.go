package modules

// Loading the imported files under the execution's limits.
//
// esbuild parses what the workspace plugin hands it inside the server
// process, by recursion, and holds every file and its syntax tree in
// memory: a file of 200,000 nested "[" is a fatal stack overflow no recover
// catches, and a 20 MB file costs more than a gigabyte. So every file is
// checked before esbuild sees it:
//
//   - its size is asked first, and a file that would take the code and
//     its imports past the code size limit is never read;
//   - what was read is measured again (the file may have grown since);
//   - its text passes sandbox.SourceProblem (the pre-scan of nesting and
//     expression length the sandbox applies to the code itself);
//   - at most maxFiles files are imported, however small;
//   - it is compiled to JavaScript alone first (esbuild's Transform:
//     linear), and the bundler gets that JavaScript, whose statements
//     esbuild prints one to a line; there "export * from" is refused, and
//     the names of import and export clauses and the substitutions of
//     template literals are counted.
//
// The last step bounds esbuild's linker, which runs after every file is
// loaded and cannot be cancelled: it follows each "export * from" along
// every path through the files (a lattice of 50 files that each
// export * from the next two is 2^50 paths: it never ends), and each
// re-exported name along the whole chain of files re-exporting it
// (100 files re-exporting the same 500 names, 240 KB: 4 s). Without
// export * and with at most maxNames names and maxFiles files the worst
// shape measured, a chain of 100 files re-exporting 10 names each, links
// in 0.11 s (TestBundleLinkerBound); property accesses of a namespace
// import are resolved once per name (20,000 of them on such a chain:
// 0.12 s).
//
// Within the limits a build still takes up to about 60 MB and 0.2 s of
// CPU (234 KB of arrow functions), and more builds at once than there are
// CPUs finish no sooner, they only add memory (16 at once: +726 MB). So a
// build holds one of a few slots of the process once its files pass
// smallBuild bytes, and waits for one, within its deadline, if there is
// none free; smaller builds (most of them) never wait, and a build waits
// at most once, holding nothing else another build needs.
//
// esbuild calls the plugin from several goroutines: the budget is shared
// under a lock.

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"runtime"
	"strings"
	"sync"

	"github.com/evanw/esbuild/pkg/api"

	"github.com/mcp-codemode/mcp-codemode/sandbox"
)

// maxFiles bounds the files one execution imports: an empty file costs
// nothing against the size limit, but a workspace read, esbuild's
// bookkeeping and a link in a chain the linker follows.
const maxFiles = 100

// slots are the large builds in flight in the process.
var slots = make(chan struct{}, max(2, runtime.GOMAXPROCS(0)))

// smallBuild is how many bytes of files a build may parse without a slot:
// such a build takes a few MB.
const smallBuild = 8 << 10

// maxSubstitutions bounds the substitutions ${…} of the template literals
// of the imported files: the bundle lowers each template to a string
// concatenation, at about 7 KB of memory a substitution (60,000 in 240 KB:
// +433 MB, 0.6 s).
const maxSubstitutions = 1000

// maxNames bounds the names in the import and export clauses of the
// imported files ({ a, b as c }), which the linker follows from file to
// file.
const maxNames = 1000

// loader reads the imported files for the workspace plugin.
type loader struct {
	ws     Workspace
	budget *budget
}

// load reads p, else p.ts, else p.js, within the budget, and returns its
// text and the path it was found at.
func (l *loader) load(ctx context.Context, p string) (string, string, error) {
	if err := ctx.Err(); err != nil {
		return "", "", err
	}
	p, size, err := l.find(ctx, p)
	if err != nil {
		return "", "", err
	}
	if err := l.budget.take(ctx, p, size, 0); err != nil {
		return "", "", err
	}
	text, err := l.ws.Read(ctx, p)
	if err != nil {
		return "", "", fmt.Errorf("cannot import %q: %w", p, err)
	}
	if n := int64(len(text)); n > size {
		if err := l.budget.take(ctx, p, n, size); err != nil {
			return "", "", err
		}
	}
	if problem, line := sandbox.SourceProblem(text); problem != "" {
		return "", "", fmt.Errorf("cannot import %q: its line %d %s", p, line, problem)
	}
	if loaderFor(p) == api.LoaderJSON {
		return text, p, nil
	}
	js, err := l.compile(p, text)
	return js, p, err
}

var (
	exportStar  = regexp.MustCompile(`(?m)^export \* from `)
	clauseStart = regexp.MustCompile(`(?m)^(?:import|export) (?:[\p{L}\p{N}$_]+, )?\{`)
)

// compile compiles the file at p to JavaScript on its own and checks what
// the linker would do with it (see the top of this file).
func (l *loader) compile(p, text string) (string, error) {
	res := api.Transform(text, api.TransformOptions{
		Loader: loaderFor(p), Sourcefile: p, Charset: api.CharsetUTF8, LogLevel: api.LogLevelSilent,
		LogOverride: sandbox.QuietWarnings, // built even unshown, in quadratic time
		// Build reads the map, so that the bundle's maps to the TypeScript.
		Sourcemap: api.SourceMapInline, SourcesContent: api.SourcesContentExclude,
	})
	if len(res.Errors) > 0 {
		return "", buildError(res.Errors[0])
	}
	js := string(res.Code)
	if exportStar.MatchString(js) {
		return "", fmt.Errorf("cannot import %q: export * from another file is not supported in imported files; re-export by name (export { a, b } from \"./x.ts\") or as a namespace (export * as x from \"./x.ts\")", p)
	}
	if err := l.budget.names(p, clauseNames(js)); err != nil {
		return "", err
	}
	return js, l.budget.substitutions(p, strings.Count(js, "${"))
}

// clauseNames counts the names of the import and export clauses of
// compiled JavaScript, { a, b as c, d as "e}" }. It scans each clause to
// its closing brace, skipping quoted names, and no text twice.
func clauseNames(js string) int {
	names, end := 0, 0
	for _, m := range clauseStart.FindAllStringIndex(js, -1) {
		if m[0] < end {
			continue // within the clause scanned last
		}
		n, length := namesIn(js[m[1]:])
		names += n
		end = m[1] + length
	}
	return names
}

// namesIn counts the names of the clause s starts (after its "{"), and
// returns how long it is: commas between names, plus one unless empty.
func namesIn(s string) (names, length int) {
	commas, empty := 0, true
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '}':
			if empty {
				return 0, i + 1
			}
			return commas + 1, i + 1
		case c == ',':
			commas++
		case c == '"' || c == '\'':
			i = skipQuoted(s, i)
			empty = false
		case c != ' ' && c != '\n' && c != '\t' && c != '\r':
			empty = false
		}
	}
	return commas + 1, len(s)
}

// skipQuoted returns the index of the quote closing the string s[i]
// opens, or of the end of its line: esbuild prints no line break in a
// string, so a quote in other text (a template's) skips no other line.
func skipQuoted(s string, i int) int {
	q := s[i]
	for i++; i < len(s) && s[i] != q && s[i] != '\n'; i++ {
		if s[i] == '\\' && i+1 < len(s) && s[i+1] != '\n' {
			i++
		}
	}
	return i
}

// find returns the path of the file p names (p, else p.ts, else p.js when
// p has no extension) and its size.
func (l *loader) find(ctx context.Context, p string) (string, int64, error) {
	size, err := l.ws.Size(ctx, p)
	if err == nil {
		return p, size, nil
	}
	if path.Ext(p) == "" {
		for _, ext := range []string{".ts", ".js"} {
			if size, err2 := l.ws.Size(ctx, p+ext); err2 == nil {
				return p + ext, size, nil
			}
		}
	}
	return "", 0, fmt.Errorf("cannot import %q: %w", p, err)
}

// budget is the code size limit shared by the code and the files it
// imports.
type budget struct {
	limit, code int // bytes

	mu          sync.Mutex
	taken       int64 // bytes of the files read or about to be
	files       int
	clauseNames int
	templates   int  // substitutions of template literals
	slot        bool // holds one of slots
}

// take charges the file at p at size bytes, held of which it was charged
// before (it grew after its size was asked), or says which limit it
// breaks; past smallBuild bytes it waits for a slot.
func (b *budget) take(ctx context.Context, p string, size, held int64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if held == 0 {
		b.files++
	}
	if b.files > maxFiles {
		return fmt.Errorf("cannot import %q: the code imports more than %d files; put them together in fewer", p, maxFiles)
	}
	if size > int64(b.limit) {
		return fmt.Errorf("cannot import %q: it is %s, over the code size limit of %s (the code and the files it imports together)", p, sizeText(size), sizeText(int64(b.limit)))
	}
	if total := int64(b.code) + b.taken - held + size; total > int64(b.limit) {
		return fmt.Errorf("cannot import %q (%s): the code and the files it imports come to %s, over the code size limit of %s; import fewer or smaller files", p, sizeText(size), sizeText(total), sizeText(int64(b.limit)))
	}
	b.taken += size - held
	if b.taken <= smallBuild || b.slot {
		return nil
	}
	select {
	case slots <- struct{}{}:
		b.slot = true
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// release gives back the build's slot, if it took one.
func (b *budget) release() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.slot {
		<-slots
		b.slot = false
	}
}

// names charges n names of import and export clauses of the file at p.
func (b *budget) names(p string, n int) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.clauseNames += n; b.clauseNames > maxNames {
		return fmt.Errorf("cannot import %q: the imported files import and export more than %d names in { } clauses; import a namespace (import * as x from \"./x.ts\") instead", p, maxNames)
	}
	return nil
}

// substitutions charges n substitutions ${…} of template literals of the
// file at p (or text that looks like one).
func (b *budget) substitutions(p string, n int) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.templates += n; b.templates > maxSubstitutions {
		return fmt.Errorf("cannot import %q: the imported files have more than %d substitutions ${…} in template literals; build long strings with join", p, maxSubstitutions)
	}
	return nil
}

// output checks the size of the bundle esbuild made of the files taken, on
// top of the code.
func (b *budget) output(n int) error {
	if total := b.code + n; total > b.limit {
		return fmt.Errorf("the imported files bundle to %s, which with the code is %s, over the code size limit of %s; import fewer or smaller files", sizeText(int64(n)), sizeText(int64(total)), sizeText(int64(b.limit)))
	}
	return nil
}

// sizeText is a size as the model reads it: "812 bytes", "256.0 KB", "20.0 MB".
func sizeText(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d bytes", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
}
