package modules

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mcp-codemode/mcp-codemode/sandbox"
)

// Origins maps the line of the code that holds the bundle back to the
// imported files, from esbuild's source map of the bundle: an error thrown
// inside an imported file would otherwise be placed at the first import's
// line and a column deep in the bundle ("line 1, column 927").
type Origins struct {
	line       int // of the code, 1-based: the first import's
	start, end int // the bundle's columns on that line, 0-based, in characters
	bundle     string
	sources    []string
	segs       []segment // sorted by column
}

// segment maps a column of the bundle (in UTF-16 units, as source maps
// count) to a position in one of the sources (0-based).
type segment struct {
	col, src, line, srcCol int
}

// newOrigins reads the source map of a one-line bundle placed at byte
// offset at of code; nil when it cannot.
func newOrigins(code string, at int, bundle string, sourceMap []byte) *Origins {
	var m struct {
		Sources  []string `json:"sources"`
		Mappings string   `json:"mappings"`
	}
	if json.Unmarshal(sourceMap, &m) != nil {
		return nil
	}
	lineStart := strings.LastIndexByte(code[:at], '\n') + 1
	start := utf8.RuneCountInString(code[lineStart:at])
	o := &Origins{line: 1 + strings.Count(code[:at], "\n"), start: start, end: start + utf8.RuneCountInString(bundle), bundle: bundle}
	for _, s := range m.Sources {
		o.sources = append(o.sources, strings.TrimPrefix(strings.TrimPrefix(s, "workspace:"), "/"))
	}
	first, _, _ := strings.Cut(m.Mappings, ";")
	var col, src, line, srcCol int
	for _, f := range strings.Split(first, ",") {
		v := decodeFields(f)
		if len(v) < 4 {
			continue
		}
		col, src, line, srcCol = col+v[0], src+v[1], line+v[2], srcCol+v[3]
		o.segs = append(o.segs, segment{col, src, line, srcCol})
	}
	return o
}

// decodeFields decodes one segment's base64 VLQ fields.
func decodeFields(s string) []int {
	const digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	var out []int
	v, shift := 0, 0
	for i := 0; i < len(s); i++ {
		d := strings.IndexByte(digits, s[i])
		if d < 0 || shift > 30 {
			return nil
		}
		v |= (d & 31) << shift
		shift += 5
		if d&32 == 0 {
			if v&1 == 1 {
				out = append(out, -(v >> 1))
			} else {
				out = append(out, v>>1)
			}
			v, shift = 0, 0
		}
	}
	return out
}

// locate returns the file, line and column (1-based) of a position of
// the code, when it is in the bundle.
func (o *Origins) locate(line, col int) (string, int, int, bool) {
	if o == nil || line != o.line || col-1 < o.start || col-1 >= o.end {
		return "", 0, 0, false
	}
	units := 0 // the bundle's characters before col, in UTF-16 units
	n := col - 1 - o.start
	for _, r := range o.bundle {
		if n == 0 {
			break
		}
		n--
		units += utf8.RuneLen(r)/4 + 1 // a rune of 4 UTF-8 bytes is a surrogate pair
	}
	i := sort.Search(len(o.segs), func(i int) bool { return o.segs[i].col > units }) - 1
	if i < 0 || o.segs[i].src < 0 || o.segs[i].src >= len(o.sources) {
		return "", 0, 0, false
	}
	s := o.segs[i]
	return o.sources[s.src], s.line + 1, s.srcCol + 1, true
}

// Below returns the Origins of the code placed n lines further down (in
// a program that wraps it, as a snippet's is).
func (o *Origins) Below(n int) *Origins {
	if o == nil {
		return nil
	}
	c := *o
	c.line += n
	return &c
}

var stackPosition = regexp.MustCompile(`line (\d+), column (\d+)`)

// Place says where in an imported file an error at the bundle's line
// happened: its message and stack frames name the file, line and column,
// and its column (deep in the bundle) is dropped; its line stays the
// first import's. Other errors are left as they are.
func (o *Origins) Place(e *sandbox.Error) {
	if o == nil || e == nil {
		return
	}
	if file, l, c, ok := o.locate(e.Line, e.Column); ok {
		e.Message += fmt.Sprintf(" (at %s:%d:%d)", file, l, c)
		e.Column = 0
	}
	e.Stack = stackPosition.ReplaceAllStringFunc(e.Stack, func(pos string) string {
		m := stackPosition.FindStringSubmatch(pos)
		line, _ := strconv.Atoi(m[1])
		col, _ := strconv.Atoi(m[2])
		if file, l, c, ok := o.locate(line, col); ok {
			return fmt.Sprintf("%s:%d:%d", file, l, c)
		}
		return pos
	})
}
