package sandbox

import (
	"errors"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/dop251/goja"
	"github.com/dop251/goja/ast"
	"github.com/dop251/goja/parser"
	"github.com/dop251/goja/token"
	"github.com/evanw/esbuild/pkg/api"
)

// The model's code becomes the body of this function. The head is on the
// code's first line, so line L of the wrapped source is line L of the code
// (and goja's Error.stack says so); columns of the first line are
// len(wrapperHead) further right, which positions take back (headCols).
const (
	wrapperHead = "(async function () {"
	wrapperTail = "\n})"
	// moduleHead goes around esbuild's output of the code as a module, on
	// a line of its own: the source map then maps the code's lines.
	moduleHead = wrapperHead + "\n"

	sourceName    = "code.ts"     // the model's code, as named by the source map
	generatedName = "codemode.js" // esbuild's output, as run by goja
)

// esbuild lowers what goja cannot run natively.
var unsupported = map[string]bool{
	"async-generator": false,
	"for-await":       false,
	"using":           false,
	"decorators":      false,
}

// fenceLanguages are the info strings of a markdown fence that is stripped.
var fenceLanguages = map[string]bool{"": true, "ts": true, "typescript": true, "js": true, "javascript": true}

// script is the model's code compiled for goja, with what is needed to map
// positions back to the code as it was sent.
type script struct {
	prog     *goja.Program
	skipped  int    // lines before the model's code (an opening fence)
	last     int    // number of the code's last line
	plain    string // the source goja compiled, when it compiled the code without esbuild
	headCols int    // characters before the code on its first line in the source positions refer to
	source   string // the model's code as given, which errors' lines and columns refer to (hints.go)
}

// errNoSourceMap refuses every source map that is not inline, so neither
// the code nor eval can make goja read a file.
var errNoSourceMap = errors.New("source maps are only read inline")

func denySourceMap(string) ([]byte, error) { return nil, errNoSourceMap }

// compile checks the size and nesting, strips a fence, strips types and compiles.
func compile(code string, maxBytes int) (*script, *Error) {
	if err := checkSource(code, maxBytes); err != nil {
		return nil, err
	}
	body, skipped := stripFence(code)
	s := &script{skipped: skipped, last: skipped + strings.Count(body, "\n") + 1, headCols: len(wrapperHead), source: code}
	if plainJS(body) {
		if src := wrapperHead + body + wrapperTail; s.compileJS(src) {
			s.plain = src
			return s, nil
		}
	}
	js, err := s.transform(body)
	if err != nil {
		return nil, err
	}
	prg, perr := parser.ParseFile(nil, generatedName, js, 0, parser.WithSourceMapLoader(denySourceMap))
	if perr != nil {
		if e := s.dynamicImport(body); e != nil {
			return nil, e
		}
		return nil, s.goSyntaxError(perr)
	}
	completeBody(prg)
	if s.prog, perr = goja.CompileAST(prg, false); perr != nil {
		return nil, s.goSyntaxError(perr)
	}
	return s, nil
}

// Compile checks code as Run would before running it (size, nesting,
// types stripped, parsed and compiled by goja) and returns its first
// error, or nil: for code kept to run later, such as a saved snippet.
func Compile(code string, maxBytes int) *Error {
	_, err := compile(code, maxBytes)
	return err
}

// stripFence removes a markdown code fence around the code and reports how
// many lines it removed before the code.
func stripFence(code string) (body string, skipped int) {
	start := len(code) - len(strings.TrimLeft(code, " \t\r\n"))
	rest := code[start:]
	nl := strings.IndexByte(rest, '\n')
	if !strings.HasPrefix(rest, "```") || nl < 0 {
		return code, 0
	}
	if !fenceLanguages[strings.ToLower(strings.TrimSpace(rest[3:nl]))] {
		return code, 0
	}
	body = rest[nl+1:]
	if trimmed := strings.TrimRight(body, " \t\r\n"); strings.HasSuffix(trimmed, "```") {
		body = strings.TrimSuffix(trimmed, "```")
	}
	return body, strings.Count(code[:start+nl+1], "\n")
}

// QuietWarnings silences every warning esbuild reports on JavaScript and
// TypeScript. None reaches the model (LogLevel is silent), but esbuild
// builds each one anyway, finding its line and column by scanning the
// source from where it last looked; a warning whose note points back to an
// earlier place ("duplicate-case": the original case is there) scans back
// and forth each time, in time quadratic in the code: 36,000 duplicate
// cases (252 KB) took 19 s, uninterruptibly. A silenced warning is never
// built. Every esbuild call on a script's behalf passes it, the
// bundler's too. (Errors cannot be silenced.)
var QuietWarnings = map[string]api.LogLevel{
	"assert-to-with": api.LogLevelSilent, "assert-type-json": api.LogLevelSilent,
	"assign-to-constant": api.LogLevelSilent, "assign-to-define": api.LogLevelSilent,
	"assign-to-import": api.LogLevelSilent, "bigint": api.LogLevelSilent,
	"call-import-namespace": api.LogLevelSilent, "class-name-will-throw": api.LogLevelSilent,
	"commonjs-variable-in-esm": api.LogLevelSilent, "confusing-typescript-cast": api.LogLevelSilent,
	"delete-super-property": api.LogLevelSilent, "direct-eval": api.LogLevelSilent,
	"duplicate-case": api.LogLevelSilent, "duplicate-class-member": api.LogLevelSilent,
	"duplicate-object-key": api.LogLevelSilent, "empty-import-meta": api.LogLevelSilent,
	"equals-nan": api.LogLevelSilent, "equals-negative-zero": api.LogLevelSilent,
	"equals-new-object": api.LogLevelSilent, "html-comment-in-js": api.LogLevelSilent,
	"impossible-typeof": api.LogLevelSilent, "indirect-require": api.LogLevelSilent,
	"private-name-will-throw": api.LogLevelSilent, "semicolon-after-return": api.LogLevelSilent,
	"suspicious-boolean-not": api.LogLevelSilent, "suspicious-define": api.LogLevelSilent,
	"suspicious-logical-operator": api.LogLevelSilent, "suspicious-nullish-coalescing": api.LogLevelSilent,
	"this-is-undefined-in-esm": api.LogLevelSilent, "unsupported-dynamic-import": api.LogLevelSilent,
	"unsupported-jsx-comment": api.LogLevelSilent, "unsupported-regexp": api.LogLevelSilent,
	"unsupported-require-call": api.LogLevelSilent, "tsconfig.json": api.LogLevelSilent,
	// the bundler's
	"ambiguous-reexport": api.LogLevelSilent, "different-path-case": api.LogLevelSilent,
	"empty-glob": api.LogLevelSilent, "ignored-bare-import": api.LogLevelSilent,
	"ignored-dynamic-import": api.LogLevelSilent, "import-is-undefined": api.LogLevelSilent,
	"require-resolve-not-external": api.LogLevelSilent, "invalid-source-mappings": api.LogLevelSilent,
	"missing-source-map": api.LogLevelSilent, "unsupported-source-map-comment": api.LogLevelSilent,
	"package.json": api.LogLevelSilent,
}

// transformOptions are esbuild's options for the model's code, in the
// wrapper (api.FormatDefault) or as a module.
func transformOptions(format api.Format) api.TransformOptions {
	return api.TransformOptions{
		Loader:         api.LoaderTS,
		Format:         format,
		Target:         api.ESNext,
		Supported:      unsupported,
		Sourcemap:      api.SourceMapExternal,
		SourcesContent: api.SourcesContentExclude,
		Sourcefile:     sourceName,
		LegalComments:  api.LegalCommentsNone,
		LogLevel:       api.LogLevelSilent,
		LogOverride:    QuietWarnings,
	}
}

// transform strips types with esbuild, wrapping the code in an async function.
func (s *script) transform(body string) (string, *Error) {
	res := api.Transform(wrapperHead+body+wrapperTail, transformOptions(api.FormatDefault))
	if len(res.Errors) > 0 {
		if js, err, ok := s.transformModule(body); ok {
			return js, err
		}
		return "", s.esbuildError(res.Errors[0])
	}
	sm, err := inlineSourceMap(res.Map, 0)
	if err != nil {
		return "", internalError(err)
	}
	return string(res.Code) + sm, nil
}

// transformModule strips types from the code as a module, where
// TypeScript allows what it refuses in a function body: `namespace X {}`
// and `export {}` (which marks a file a module and is dropped). It is
// tried only after the code failed in the wrapper, and fails when the
// code needs the wrapper (a top-level return, in a module with await),
// or leaves a statement goja cannot run in a function (an export of a
// declaration): the wrapper's error is then the one reported, but for a
// return, which the model can fix, and in code with a namespace, where the
// wrapper's error is only that namespace is not allowed. The wrapper
// goes around esbuild's output, so the source map maps the code's lines
// themselves (s.headCols is 0).
func (s *script) transformModule(body string) (string, *Error, bool) {
	if !containsWord(body, "namespace") && !containsWord(body, "module") && !containsWord(body, "export") {
		return "", nil, false
	}
	res := api.Transform(body, transformOptions(api.FormatESModule))
	if len(res.Errors) > 0 {
		m := res.Errors[0]
		switch {
		case strings.HasPrefix(m.Text, "Top-level return cannot be used"):
			m.Text = "a top-level return cannot be used with namespace or export, which make TypeScript read the code " +
				"as a module; end the code with the value as its last expression instead"
		case !containsWord(body, "namespace"):
			return "", nil, false
		} // else the error is in the code, which the wrapper made unreadable at the namespace
		s.headCols = 0
		return "", s.esbuildError(m), true
	}
	src := moduleHead + string(res.Code) + wrapperTail
	if _, err := parser.ParseFile(nil, generatedName, src, 0, parser.WithSourceMapLoader(denySourceMap)); err != nil {
		return "", nil, false
	}
	sm, err := inlineSourceMap(res.Map, 1)
	if err != nil {
		return "", nil, false
	}
	s.headCols = 0
	return src + sm, nil, true
}

// esbuildError reports an esbuild message as a SyntaxError at the model's
// line and column (esbuild columns are bytes; ours count characters).
func (s *script) esbuildError(m api.Message) *Error {
	e := &Error{Name: NameSyntax, Message: m.Text}
	if loc := m.Location; loc != nil {
		col := loc.Column
		if col > len(loc.LineText) {
			col = len(loc.LineText)
		}
		e.Line, e.Column = s.position(loc.Line, utf8.RuneCountInString(loc.LineText[:col]))
	}
	return e
}

// dynamicImportCall matches import( not preceded by a dot or an
// identifier character.
var dynamicImportCall = regexp.MustCompile(`(?:^|[^.\w$])(import)\s*\(`)

// dynamicImport is the error for code goja refused because it calls
// import(), which esbuild passes through and goja cannot parse: without
// it goja names a line of its generated file ("codemode.js: Line 3:19
// Unexpected reserved word"). Nil when the code has no such call.
func (s *script) dynamicImport(body string) *Error {
	m := dynamicImportCall.FindStringSubmatchIndex(body)
	if m == nil {
		return nil
	}
	at := m[2]
	line := 1 + strings.Count(body[:at], "\n")
	col := utf8.RuneCountInString(body[strings.LastIndexByte(body[:at], '\n')+1 : at])
	e := &Error{Name: NameSyntax, Message: "dynamic import() is not supported; import the file statically at the top " +
		"of the code, e.g. import * as util from \"./lib/util.ts\""}
	e.Line, e.Column = line+s.skipped, col+1
	return e
}

// goSyntaxError reports what goja's parser or compiler refused after esbuild
// accepted the code (for example a RegExp flag goja does not support).
func (s *script) goSyntaxError(err error) *Error {
	e := &Error{Name: NameSyntax, Message: err.Error()}
	var ce *goja.CompilerSyntaxError
	if errors.As(err, &ce) {
		e.Message = ce.Message
		if ce.File != nil {
			p := ce.File.Position(ce.Offset)
			e.Line, e.Column = s.mapped(p.Filename, p.Line, p.Column)
		}
	}
	return e
}

// position maps a 1-based line and 0-based column of the wrapped source to
// the model's own code (both 1-based). Lines inside the wrapper's head or
// tail are clamped to the code.
func (s *script) position(line, col0 int) (int, int) {
	if line == 1 {
		col0 = max(col0-s.headCols, 0)
	}
	line += s.skipped
	switch {
	case line < s.skipped+1:
		return s.skipped + 1, 1
	case line > s.last:
		return s.last, 0
	}
	return line, col0 + 1
}

// mapped maps a position goja obtained through the source map, or of a
// plain script; positions in other files (esbuild helpers, eval code) are
// unknown (0, 0).
func (s *script) mapped(file string, line, col int) (int, int) {
	if file != sourceName || line <= 0 {
		return 0, 0
	}
	if s.plain != "" {
		col = s.plainColumn(line, col)
	}
	return s.position(line, col)
}

// plainColumn converts goja's column of a plain script (1-based, in bytes)
// to what the source map gives for the same script transformed (0-based, in
// characters). goja places a call at its "(", which the source map maps
// back to the start of the callee's name: so does this.
func (s *script) plainColumn(line, col int) int {
	text := sourceLine(s.plain, line)
	col0 := min(max(col-1, 0), len(text))
	if col0 < len(text) && text[col0] == '(' {
		i := col0
		for i > 0 && (text[i-1] == ' ' || text[i-1] == '\t') {
			i--
		}
		j := i
		for j > 0 && identByte(text[j-1]) {
			j--
		}
		if j < i {
			col0 = j
		}
	}
	return utf8.RuneCountInString(text[:col0])
}

// completeBody makes the wrapper call a lone function expression, or return
// the value of its last statement (see returnLast) when the body has no
// return.
// Rewriting the AST (rather than the text) keeps every position intact.
func completeBody(prg *ast.Program) {
	fn := wrapperFunc(prg)
	if fn == nil || len(fn.Body.List) == 0 {
		return
	}
	list := fn.Body.List
	if call := loneFunctionCall(list); call != nil {
		ret := &ast.ReturnStatement{Return: call.Idx0(), Argument: call}
		if _, isDecl := list[0].(*ast.FunctionDeclaration); isDecl {
			fn.Body.List = append(list, ret)
		} else {
			list[0] = ret
		}
		return
	}
	if hasReturn(list) {
		return
	}
	n := len(list)
	for n > 0 && declaration(list[n-1]) {
		n--
	}
	switch {
	case n == 0:
	case n == len(list) || onlyEmpty(list[n:]):
		list[n-1] = returnLast(list[n-1])
	default:
		fn.Body.List = keepValue(list, n-1)
	}
}

// lastValue holds the value of the last expression statement when
// declarations follow it: they still run, then the value is returned.
const lastValue = "__codemode_last"

// declaration reports whether a statement has no completion value of its
// own: `x; const y = 1;` and `x;;` have x's value (README: What the model sees).
func declaration(st ast.Statement) bool {
	switch st.(type) {
	case *ast.EmptyStatement, *ast.VariableStatement, *ast.LexicalDeclaration,
		*ast.FunctionDeclaration, *ast.ClassDeclaration:
		return true
	}
	return false
}

func onlyEmpty(list []ast.Statement) bool {
	for _, st := range list {
		if _, ok := st.(*ast.EmptyStatement); !ok {
			return false
		}
	}
	return true
}

// keepValue makes the expression statement list[i] assign its value to
// lastValue, and returns it after the declarations that follow run.
func keepValue(list []ast.Statement, i int) []ast.Statement {
	es, ok := list[i].(*ast.ExpressionStatement)
	if !ok {
		return list
	}
	at := es.Idx0()
	es.Expression = &ast.AssignExpression{Operator: token.ASSIGN,
		Left: &ast.Identifier{Name: lastValue, Idx: at}, Right: es.Expression}
	decl := &ast.VariableStatement{Var: at, List: []*ast.Binding{{Target: &ast.Identifier{Name: lastValue, Idx: at}}}}
	ret := &ast.ReturnStatement{Return: at, Argument: &ast.Identifier{Name: lastValue, Idx: at}}
	return append(list, decl, ret)
}

// returnLast makes an expression statement a return statement, looking
// into a final block, if/else or try/catch the way eval's completion value
// does: `try { await f() } catch (e) { e.message }` returns either value.
func returnLast(st ast.Statement) ast.Statement {
	switch st := st.(type) {
	case *ast.ExpressionStatement:
		return &ast.ReturnStatement{Return: st.Idx0(), Argument: st.Expression}
	case *ast.BlockStatement:
		returnLastOf(st.List)
	case *ast.IfStatement:
		st.Consequent = returnLast(st.Consequent)
		if st.Alternate != nil {
			st.Alternate = returnLast(st.Alternate)
		}
	case *ast.TryStatement:
		returnLastOf(st.Body.List)
		if st.Catch != nil {
			returnLastOf(st.Catch.Body.List)
		}
	}
	return st
}

func returnLastOf(list []ast.Statement) {
	if len(list) > 0 {
		list[len(list)-1] = returnLast(list[len(list)-1])
	}
}

// wrapperFunc finds the wrapper: the program's last statement, after any
// helpers esbuild put before it.
func wrapperFunc(prg *ast.Program) *ast.FunctionLiteral {
	if len(prg.Body) == 0 {
		return nil
	}
	es, ok := prg.Body[len(prg.Body)-1].(*ast.ExpressionStatement)
	if !ok {
		return nil
	}
	fn, _ := es.Expression.(*ast.FunctionLiteral)
	return fn
}

// loneFunctionCall returns a call of the body's only statement when it is a
// function expression or an async function declaration, else nil.
func loneFunctionCall(list []ast.Statement) *ast.CallExpression {
	if len(list) != 1 {
		return nil
	}
	var callee ast.Expression
	switch st := list[0].(type) {
	case *ast.ExpressionStatement:
		switch st.Expression.(type) {
		case *ast.ArrowFunctionLiteral, *ast.FunctionLiteral:
			callee = st.Expression
		}
	case *ast.FunctionDeclaration:
		if f := st.Function; f.Async && f.Name != nil {
			callee = &ast.Identifier{Name: f.Name.Name, Idx: f.Name.Idx}
		}
	}
	if callee == nil {
		return nil
	}
	end := callee.Idx1()
	return &ast.CallExpression{Callee: callee, LeftParenthesis: end, RightParenthesis: end}
}

// hasReturn reports whether a return statement is among the statements,
// looking into nested statements but not into functions.
func hasReturn(list []ast.Statement) bool {
	for _, st := range list {
		if stmtHasReturn(st) {
			return true
		}
	}
	return false
}

func stmtHasReturn(st ast.Statement) bool {
	switch st := st.(type) {
	case *ast.ReturnStatement:
		return true
	case *ast.BlockStatement:
		return hasReturn(st.List)
	case *ast.IfStatement:
		return stmtHasReturn(st.Consequent) || (st.Alternate != nil && stmtHasReturn(st.Alternate))
	case *ast.ForStatement:
		return stmtHasReturn(st.Body)
	case *ast.ForInStatement:
		return stmtHasReturn(st.Body)
	case *ast.ForOfStatement:
		return stmtHasReturn(st.Body)
	case *ast.WhileStatement:
		return stmtHasReturn(st.Body)
	case *ast.DoWhileStatement:
		return stmtHasReturn(st.Body)
	case *ast.LabelledStatement:
		return stmtHasReturn(st.Statement)
	case *ast.WithStatement:
		return stmtHasReturn(st.Body)
	case *ast.SwitchStatement:
		for _, c := range st.Body {
			if hasReturn(c.Consequent) {
				return true
			}
		}
	case *ast.TryStatement:
		return tryHasReturn(st)
	}
	return false
}

func tryHasReturn(st *ast.TryStatement) bool {
	if hasReturn(st.Body.List) {
		return true
	}
	if st.Catch != nil && hasReturn(st.Catch.Body.List) {
		return true
	}
	return st.Finally != nil && hasReturn(st.Finally.List)
}

// sourceLine returns line n (1-based) of src, or its last line past the
// end. Only errors need it: the lines are not split up front.
func sourceLine(src string, n int) string {
	for ; n > 1; n-- {
		i := strings.IndexByte(src, '\n')
		if i < 0 {
			break
		}
		src = src[i+1:]
	}
	if i := strings.IndexByte(src, '\n'); i >= 0 {
		return src[:i]
	}
	return src
}

// plainJS reports whether code may skip esbuild when goja compiles it: the
// code has none of the few constructs that TypeScript reads differently
// from JavaScript although both parse them. Type arguments (`f<T>(x)` is
// two comparisons in JavaScript) need a "<" and then a ">" that does not
// end an arrow; a modifier on its own line in a class body (`private` then
// a field on the next line) is one field in TypeScript and two in
// JavaScript. A source map comment is left for esbuild to drop, as goja
// would read it. The test is on the text, so it also turns down code that
// merely has such characters in a string: esbuild then runs, as it does for
// all TypeScript, and nothing is lost but time.
func plainJS(code string) bool {
	if lt := strings.IndexByte(code, '<'); lt >= 0 {
		rest := code[lt:]
		for i := strings.IndexByte(rest, '>'); i >= 0; i = strings.IndexByte(rest, '>') {
			if i == 0 || rest[i-1] != '=' {
				return false
			}
			rest = rest[i+1:]
		}
	}
	return !containsWord(code, "class") && !strings.Contains(code, "sourceMappingURL")
}

// containsWord reports whether w occurs in s not as part of a longer identifier.
func containsWord(s, w string) bool {
	for i := strings.Index(s, w); i >= 0; {
		end := i + len(w)
		if (i == 0 || !identByte(s[i-1])) && (end == len(s) || !identByte(s[end])) {
			return true
		}
		next := strings.Index(s[i+1:], w)
		if next < 0 {
			return false
		}
		i += 1 + next
	}
	return false
}

func identByte(c byte) bool {
	return c == '_' || c == '$' || c >= 0x80 || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// compileJS compiles plain JavaScript without esbuild, and reports whether
// goja accepted it: if not (TypeScript, or a feature esbuild lowers), the
// code is transformed as TypeScript, which also reports the errors. The
// file is named as the source map names the code, and the wrapper is the
// one transform adds, so positions map back alike.
func (s *script) compileJS(src string) bool {
	prg, err := parser.ParseFile(nil, sourceName, src, 0, parser.WithSourceMapLoader(denySourceMap))
	if err != nil {
		return false
	}
	completeBody(prg)
	s.prog, err = goja.CompileAST(prg, false)
	return err == nil
}
