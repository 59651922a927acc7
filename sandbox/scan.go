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

// CheckSource is the check every source text passes before it reaches a
// parser (esbuild, goja, regexp2): at most maxBytes, and no problem
// SourceProblem finds. Run applies it to the code and to code built at run
// time; text parsed on a script's behalf outside Run (the workspace files
// a bundler reads) must pass it too. The error is a SyntaxError, with the
// line of the problem.
func CheckSource(src string, maxBytes int) *Error { return checkSource(src, maxBytes) }

// SourceProblem is what no parser may be given, whatever the size: nesting
// deeper than maxNesting (parsers recurse once per level, and too deep a
// recursion is a fatal error that kills the process) or an expression of
// more than maxOperators operators. The problem is phrased to follow a
// subject ("nests more than 500 levels deep; flatten it"), with its line;
// "" when there is none.
func SourceProblem(src string) (problem string, line int) {
	s := &scanner{src: src, max: maxNesting, line: 1, levels: []level{{}}}
	s.scan()
	switch {
	case s.long:
		return fmt.Sprintf("has an expression of more than %d operators; split it", maxOperators), s.line
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
		return &Error{Name: "SyntaxError", Message: msg}
	}
	if problem, line := SourceProblem(src); problem != "" {
		return &Error{Name: "SyntaxError", Message: "the code " + problem, Line: line}
	}
	return nil
}

// nestingWithin reports whether src stays within max levels of nesting
// (and maxOperators operators an expression), and otherwise the line where
// it went over. See scanner.
func nestingWithin(src string, max int) (line int, ok bool) {
	s := &scanner{src: src, max: max, line: 1, levels: []level{{}}}
	s.scan()
	return s.line, !s.over
}

// level is one bracket level: its opening bracket and the run of
// right-recursive operators (prefix operators, ?, =, =>, ...) since the last
// statement or list separator at this level.
type level struct {
	open  byte // '(', '[', '{' or '`' for a template's ${; 0 at the top
	chain int
	ops   int // binary operators since the last separator at this level
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
	over   bool // depth exceeded max, or long
	long   bool // an expression has more than maxOperators operators
	// operand is whether the last token ends an operand (so a "/" divides
	// and a newline may end the statement).
	operand bool
	newline bool // a newline came after the last token
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
		s.endChain()
	}
	s.newline = false
}

func (s *scanner) push(open byte) {
	s.levels = append(s.levels, level{open: open})
	s.deeper(1)
	s.operand = false
}

func (s *scanner) pop() {
	if len(s.levels) == 1 {
		return // unbalanced: the parser will say so
	}
	top := s.levels[len(s.levels)-1]
	s.depth -= 1 + top.chain
	s.levels = s.levels[:len(s.levels)-1]
	s.operand = true
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
	s.depth -= top.chain
	top.chain, top.ops = 0, 0
	s.operand = false
}

// postfix counts a member access, call, index or tag on an operand: the
// parsers build them left-deep and recurse once per level (a chain of
// 130,000 ".a" held 935 MB of esbuild's stack) as for a right-recursive
// chain, so it counts the same until the end of the expression.
func (s *scanner) postfix() {
	s.levels[len(s.levels)-1].chain++
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
		if s.operand {
			s.postfix() // a call or an index
		}
		s.push(c)
	case '{':
		s.push(c)
	case '.':
		if s.operand && (s.pos == len(s.src) || s.src[s.pos] != '.') {
			s.postfix() // a member access
		}
		s.operand = false
	case ')', ']':
		s.pop()
	case '}':
		if s.levels[len(s.levels)-1].open == '`' {
			s.pop()
			s.template()
			return
		}
		s.pop()
	case ';', ',':
		s.endChain()
	case '!', '~', '?', '=', '+', '-', '*', '<', '>', '&', '|', '^', '%':
		s.operator(c)
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
	switch {
	case !s.operand, op == "?", strings.HasSuffix(op, "=") && !isComparison(op), op == "=>", op == "**":
		s.chain()
	default:
		s.binary()
	}
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
			s.operand = true
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
			s.operand = true
			return
		case c == '$' && s.pos < len(s.src) && s.src[s.pos] == '{':
			s.pos++
			s.push('`')
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
			s.operand = true
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
