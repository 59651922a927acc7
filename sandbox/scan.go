package sandbox

import (
	"fmt"
	"strings"
)

// maxNesting bounds how deeply source text may nest. esbuild, goja's parser
// and compiler, and regexp2 all recurse once per level on the Go stack:
// ~2 MB of "(" is a fatal stack overflow that recover cannot catch, and an
// arrow chain `a=>a=>…` parses in quadratic time. Real code nests a few
// dozen levels.
const maxNesting = 500

// maxOperators bounds the binary operators (and optional chains ?.) of
// one expression. goja's compiler takes time quadratic in their number, and
// no timeout interrupts a compile: a chain of 20,000 "+x" compiles in
// 2.5 s, of 20,000 "+'a'" in 7 s, and the 120,000 "+1" within the size
// limit took 100 s. Real code chains a few dozen.
const maxOperators = 500

// maxSequence bounds the expressions of one comma operator sequence
// (`a, b, c` as an expression, not the items of a list). esbuild's printer
// takes time quadratic in their number with either loader: it builds the
// sequence left-deep and, printing each comma, walks all of its left side
// again looking for calls to inline (js_printer's simplifyUnusedExpr); no
// timeout interrupts it. 16,000 took 3 s, the 128,000 within the size
// limit minutes. Lists (arguments, arrays, objects, parameters,
// declarators) are kept flat and are not bounded.
const maxSequence = 500

// CheckSource is the check every source text passes before it reaches a
// parser (esbuild, goja, regexp2): at most maxBytes, and no problem
// SourceProblem finds. Run applies it to the code and to code built at run
// time; text parsed on a script's behalf outside Run (the workspace files
// a bundler reads) must pass it too. The error is a SyntaxError, with the
// line of the problem.
func CheckSource(src string, maxBytes int) *Error { return checkSource(src, maxBytes) }

// SourceProblem is what no parser may be given, whatever the size: nesting
// deeper than maxNesting (parsers recurse once per level, and too deep a
// recursion is a fatal error that kills the process), an expression of
// more than maxOperators operators, or a comma sequence of more than
// maxSequence expressions. The problem is phrased to follow a
// subject ("nests more than 500 levels deep; flatten it"), with its line;
// "" when there is none.
func SourceProblem(src string) (problem string, line int) {
	s := &scanner{src: src, max: maxNesting, line: 1, levels: []level{{}}, blockNext: true}
	s.scan()
	switch {
	case s.long:
		return fmt.Sprintf("has an expression of more than %d operators; split it", maxOperators), s.line
	case s.sequence:
		return fmt.Sprintf("has a comma sequence of more than %d expressions; split it", maxSequence), s.line
	case s.over:
		return fmt.Sprintf("nests more than %d levels deep; flatten it", maxNesting), s.line
	}
	return "", 0
}

// checkSource is run on every piece of source text before it reaches a
// parser: the model's code, and code built at run time (eval, the Function
// constructors). It bounds the size, the nesting and the length of
// expressions; the error is a SyntaxError with the line of the problem.
func checkSource(src string, maxBytes int) *Error {
	if len(src) > maxBytes {
		msg := fmt.Sprintf("the code is %d bytes; the limit is %d bytes", len(src), maxBytes)
		return &Error{Name: NameSyntax, Message: msg}
	}
	if problem, line := SourceProblem(src); problem != "" {
		return &Error{Name: NameSyntax, Message: "the code " + problem, Line: line}
	}
	return nil
}

// nestingWithin reports whether src stays within max levels of nesting
// (and maxOperators operators an expression), and otherwise the line where
// it went over. See scanner.
func nestingWithin(src string, max int) (line int, ok bool) {
	s := &scanner{src: src, max: max, line: 1, levels: []level{{}}, blockNext: true}
	s.scan()
	return s.line, !s.over
}

// level is one bracket level: its opening bracket and the run of
// right-recursive operators (prefix operators, ?, =, =>, ...) since the last
// statement or list separator at this level.
type level struct {
	open  byte // '(', '[', '{' or '`' for a template's ${; 0 at the top
	chain int
	post  int // postfix operations on the current operand
	ops   int // binary operators since the last separator at this level
	// list is whether a comma here separates the items of a list
	// (arguments, parameters, an array or object literal) rather than the
	// expressions of a comma operator.
	list   bool
	decl   bool // a var, let or const statement: its commas separate declarators
	commas int  // commas of the comma operator in the current statement
	// overLine is the line where a parenthesised sequence went over
	// maxSequence: refused when the ")" is not followed by "=>" (the
	// parentheses were not the parameters of an arrow function).
	overLine int
}

// scanner measures nesting the way a recursive-descent parser would recurse:
// one per open bracket, plus one per right-recursive operator in a chain
// (`!!!!x`, `a?b:c?d:…`, `a=b=c=…`, `a=>b=>…`). It skips strings, comments,
// template text and regular expressions (counting the groups of a regular
// expression). It is a heuristic, not a parser: it may over- or
// under-count odd code, but never by enough to matter at maxNesting, and it
// runs in linear time on any input.
type scanner struct {
	src    string
	pos    int
	line   int
	max    int
	levels []level
	depth  int  // brackets plus chains on the path from the top
	peak   int  // the greatest depth seen
	over   bool // depth exceeded max, or long, or sequence
	long   bool // an expression has more than maxOperators operators
	// sequence: a comma operator sequence has more than maxSequence
	// expressions
	sequence bool
	// operand is whether the last token ends an operand (so a "/" divides
	// and a newline may end the statement).
	operand bool
	newline bool // a newline came after the last token
	// blockNext is whether a "{" after the last token opens a block
	// (after an operand, ";", "=>", else, a TypeScript return type...)
	// rather than an object literal (where an expression is expected:
	// after an operator, "(", ",", return...); block is its value before
	// the current token.
	blockNext, block bool
	// listBrace: after import, export, enum or interface, the next "{"
	// opens a list of names or members, unless "(", an operator, function,
	// class, namespace or module came first.
	listBrace bool
}

func (s *scanner) scan() {
	for s.pos < len(s.src) && !s.over {
		c := s.src[s.pos]
		if c == '\n' {
			s.line++
		}
		if c == '\n' || c == ' ' || c == '\t' || c == '\r' {
			s.newline = s.newline || c == '\n'
			s.pos++
			continue
		}
		s.statementEnd(c)
		s.block, s.blockNext = s.blockNext, false
		switch {
		case c == '"' || c == '\'':
			s.quoted(c)
		case c == '`':
			if s.operand {
				s.postfix() // a tagged template
			}
			s.pos++
			s.template()
		case c == '/':
			s.slash()
		case isWordByte(c):
			s.word()
		default:
			s.punct(c)
		}
	}
}

// statementEnd ends the current chain where automatic semicolon insertion
// would end the statement: at a newline between an operand and the start of
// another (c is the first byte of the next token).
func (s *scanner) statementEnd(c byte) {
	if s.newline && s.operand && (isWordByte(c) || c == '"' || c == '\'' || c == '`') {
		s.endStatement()
	}
	s.newline = false
}

func (s *scanner) push(open byte, list bool) {
	s.levels = append(s.levels, level{open: open, list: list})
	s.deeper(1)
	s.operand = false
}

func (s *scanner) pop() {
	if len(s.levels) == 1 {
		return // unbalanced: the parser will say so
	}
	top := s.levels[len(s.levels)-1]
	s.depth -= 1 + top.chain + top.post
	s.levels = s.levels[:len(s.levels)-1]
	s.operand = true
	if top.overLine > 0 && !strings.HasPrefix(strings.TrimLeft(s.src[s.pos:], " \t\r\n"), "=>") {
		s.line = top.overLine
		s.over, s.sequence = true, true
	}
}

func (s *scanner) deeper(n int) {
	s.depth += n
	s.peak = max(s.peak, s.depth)
	if s.depth > s.max {
		s.over = true
	}
}

func (s *scanner) chain() {
	s.levels[len(s.levels)-1].chain++
	s.deeper(1)
	s.operand = false
}

func (s *scanner) endChain() {
	top := &s.levels[len(s.levels)-1]
	s.endOperand()
	s.depth -= top.chain
	top.chain, top.ops = 0, 0
	s.operand = false
}

// endOperand ends the postfix operations of the current operand: the next
// operand of the expression is a sibling of it, not nested in it.
func (s *scanner) endOperand() {
	top := &s.levels[len(s.levels)-1]
	s.depth -= top.post
	top.post = 0
}

// endStatement ends the statement at this level: its chain, its comma
// sequence and its declarators.
func (s *scanner) endStatement() {
	s.endChain()
	top := &s.levels[len(s.levels)-1]
	if top.overLine > 0 { // a for head's sequence: not arrow parameters
		s.line = top.overLine
		s.over, s.sequence = true, true
	}
	top.commas, top.decl, top.overLine = 0, false, 0
	s.listBrace = false
}

// comma counts a comma of a comma operator sequence; commas of a list or
// of declarators do not count. See maxSequence.
func (s *scanner) comma() {
	top := &s.levels[len(s.levels)-1]
	if top.list || top.decl {
		return
	}
	if top.commas++; top.commas < maxSequence {
		return
	}
	if top.open == '(' {
		if top.overLine == 0 {
			top.overLine = s.line // maybe arrow parameters: decided at ")"
		}
		return
	}
	s.over, s.sequence = true, true
}

// statementLevel is whether the current level holds statements (the top or
// a block), where a ":" ends a label or a case and a "{" opens a block.
func (s *scanner) statementLevel() bool {
	top := s.levels[len(s.levels)-1]
	return top.open == 0 || top.open == '{' && !top.list
}

// postfix counts a member access, call, index or tag on an operand: the
// parsers build them left-deep and recurse once per level (a chain of
// 130,000 ".a" held 935 MB of esbuild's stack), so it counts as nesting
// until the operand ends at an operator (`f(a) ? g(b) : …` does not nest
// the calls: prettier's TypeScript plugin has a conditional of 160 calls).
func (s *scanner) postfix() {
	s.levels[len(s.levels)-1].post++
	s.deeper(1)
}

// binary counts a binary operator (or ?.) of the expression at this level.
func (s *scanner) binary() {
	s.operand = false
	top := &s.levels[len(s.levels)-1]
	if top.ops++; top.ops > maxOperators {
		s.over, s.long = true, true
	}
}

func (s *scanner) punct(c byte) {
	s.pos++
	switch c {
	case '(', '[':
		call := s.operand
		if call {
			s.postfix() // a call or an index
		}
		// The arguments of a call (or parameters after a function's name)
		// are a list, as are the items of an array literal; an index or
		// parenthesised expression holds an expression.
		s.push(c, call == (c == '('))
		s.listBrace = s.listBrace && c != '('
	case '{':
		list := s.listBrace || !s.block
		s.listBrace = false
		s.push(c, list)
		s.blockNext = !list
	case '.':
		if s.operand && (s.pos == len(s.src) || s.src[s.pos] != '.') {
			s.postfix() // a member access
		}
		s.operand = false
	case ')', ']':
		s.pop()
		s.blockNext = true // a body after a head or a TypeScript return type
	case '}':
		if s.levels[len(s.levels)-1].open == '`' {
			s.pop()
			s.template()
			return
		}
		s.pop()
		s.blockNext = true
	case ';':
		s.endStatement()
		s.blockNext = true
	case ',':
		s.endChain()
		s.comma()
	case ':':
		s.endOperand()
		s.operand = false
		s.blockNext = s.statementLevel() // a label or a case
	case '!', '~', '?', '=', '+', '-', '*', '<', '>', '&', '|', '^', '%':
		s.operator(c)
		s.listBrace = false
	default:
		s.operand = false
	}
}

// operator counts the operators a parser handles by recursion: every prefix
// or assignment-like operator, "?" and "=>". Binary operators between
// operands ("a + b") are parsed in loops and do not count.
func (s *scanner) operator(c byte) {
	end := s.pos
	for end < len(s.src) && strings.IndexByte("=!~?+-*<>&|^%", s.src[end]) >= 0 && end-s.pos < 3 {
		end++
	}
	op := s.src[s.pos-1 : end]
	s.pos = end
	if op == "?" && s.pos < len(s.src) && s.src[s.pos] == '.' && (s.pos+1 == len(s.src) || !isDigit(s.src[s.pos+1])) {
		s.pos++ // optional chaining
		s.binary()
		return
	}
	if op == "!" && s.operand {
		return // TypeScript's non-null assertion: the operand goes on
	}
	s.endOperand()
	switch {
	case !s.operand, op == "?", strings.HasSuffix(op, "=") && !isComparison(op), op == "=>", op == "**":
		s.chain()
	default:
		s.binary()
	}
	// An arrow's body, or a TypeScript return type's closing ">"
	// (`): Promise<void> {`).
	s.blockNext = op == "=>" || op == ">" || op == ">>" || op == ">>>"
}

func isComparison(op string) bool {
	switch op {
	case "==", "===", "!=", "!==", "<=", ">=":
		return true
	}
	return false
}

// prefixWords are keywords after which an expression starts: a "/" after
// them begins a regular expression, and the unary ones chain.
var prefixWords = map[string]bool{
	"return": true, "typeof": true, "instanceof": true, "in": true, "of": true, "new": true,
	"delete": true, "void": true, "throw": true, "case": true, "do": true, "else": true,
	"yield": true, "await": true, "extends": true,
}

var unaryWords = map[string]bool{"typeof": true, "new": true, "delete": true, "void": true, "yield": true, "await": true}

func (s *scanner) word() {
	if s.operand {
		// A word after an operand starts another (`}function f(){}`, after
		// a declaration) or is an operator (in, as): the operand ended.
		s.endOperand()
	}
	start := s.pos
	s.skipWord()
	if isDigit(s.src[start]) && s.pos < len(s.src) && s.src[s.pos] == '.' {
		s.pos++ // a fraction: 1.5, not a member access
		s.skipWord()
	}
	w := s.src[start:s.pos]
	switch {
	case unaryWords[w], statementWords[w]:
		s.chain()
	case prefixWords[w]:
		s.operand = false
	default:
		s.operand = true
	}
	// A "{" after a word opens a block (a body after a TypeScript return
	// type, try, else...), but an object after return, typeof, in...
	s.blockNext = !prefixWords[w] || w == "else" || w == "do" || w == "void"
	switch w {
	case "var", "let", "const":
		if s.declarationFollows() {
			s.levels[len(s.levels)-1].decl = true
			s.operand, s.blockNext = false, false // a pattern may follow
		}
	case "import", "export", "enum", "interface":
		s.listBrace = true
	case "function", "class", "namespace", "module":
		s.listBrace = false
	}
}

// declarationFollows is whether a name or a pattern follows: `let` may be
// a name itself (`let, g(), …` is a comma sequence).
func (s *scanner) declarationFollows() bool {
	rest := strings.TrimLeft(s.src[s.pos:], " \t\r\n")
	return rest != "" && (isWordByte(rest[0]) || rest[0] == '[' || rest[0] == '{')
}

func (s *scanner) skipWord() {
	for s.pos < len(s.src) && isWordByte(s.src[s.pos]) {
		s.pos++
	}
}

// statementWords are keywords followed by a parenthesised head, not a
// call, and by a statement the parsers recurse into: if(x)if(x)… nests
// (20,000 of them, 97 KB, took esbuild and goja 84 s).
var statementWords = map[string]bool{"if": true, "while": true, "for": true, "switch": true, "catch": true, "with": true}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// isWordByte: identifier characters and digits; any non-ASCII byte is taken
// as part of an identifier.
func isWordByte(c byte) bool {
	return c == '_' || c == '$' || c == '\\' || c >= 0x80 ||
		'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// quoted skips a string literal.
func (s *scanner) quoted(q byte) {
	s.pos++
	for s.pos < len(s.src) {
		c := s.src[s.pos]
		s.pos++
		switch c {
		case '\\':
			s.escape()
		case q:
			s.operand, s.blockNext = true, true
			return
		case '\n':
			s.line++
			return // unterminated: the parser will say so
		}
	}
}

// escape skips the character after a backslash.
func (s *scanner) escape() {
	if s.pos < len(s.src) {
		if s.src[s.pos] == '\n' {
			s.line++
		}
		s.pos++
	}
}

// template skips template text up to the closing backquote, or enters a
// ${ substitution.
func (s *scanner) template() {
	for s.pos < len(s.src) {
		c := s.src[s.pos]
		s.pos++
		switch {
		case c == '\\':
			s.escape()
		case c == '\n':
			s.line++
		case c == '`':
			s.operand, s.blockNext = true, true
			return
		case c == '$' && s.pos < len(s.src) && s.src[s.pos] == '{':
			s.pos++
			s.push('`', false)
			return
		}
	}
}

// slash is a comment, a regular expression or a division.
func (s *scanner) slash() {
	next := byte(0)
	if s.pos+1 < len(s.src) {
		next = s.src[s.pos+1]
	}
	switch {
	case next == '/':
		end := strings.IndexByte(s.src[s.pos:], '\n')
		if end < 0 {
			end = len(s.src) - s.pos
		}
		s.pos += end
	case next == '*':
		end := strings.Index(s.src[s.pos+2:], "*/")
		if end < 0 {
			end = len(s.src) - s.pos - 2
		}
		s.line += strings.Count(s.src[s.pos:s.pos+2+end], "\n")
		s.pos += 2 + end + 2
	case s.operand:
		s.pos++
		s.operator('/')
	default:
		s.regexp()
	}
}

// regexp skips a regular expression literal, counting its groups as
// nesting: regexp2 parses groups recursively too.
func (s *scanner) regexp() {
	s.pos++
	groups, class := 0, false
	defer func() { s.depth -= groups }()
	for s.pos < len(s.src) && !s.over {
		c := s.src[s.pos]
		s.pos++
		switch {
		case c == '\\':
			s.escape()
		case c == '\n':
			s.line++
			return
		case class:
			class = c != ']'
		case c == '[':
			class = true
		case c == '(':
			groups++
			s.deeper(1)
		case c == ')' && groups > 0:
			groups--
			s.depth--
		case c == '/':
			for s.pos < len(s.src) && isWordByte(s.src[s.pos]) {
				s.pos++ // flags
			}
			s.operand, s.blockNext = true, true
			return
		}
	}
}

// patternWithin reports whether the groups of a RegExp pattern given as a
// string nest at most max levels.
func patternWithin(pattern string, max int) bool {
	depth, class := 0, false
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		switch {
		case c == '\\':
			i++
		case class:
			class = c != ']'
		case c == '[':
			class = true
		case c == '(':
			if depth++; depth > max {
				return false
			}
		case c == ')' && depth > 0:
			depth--
		}
	}
	return true
}
