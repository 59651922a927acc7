package learn

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Of returns the shape of one JSON value: a tool's unwrapped result. It
// walks at most [MaxValues] values: of a larger result, the part walked
// (arrays are sampled from their start) makes the shape, and objects left
// part-way count towards no property's optionality. Values deeper than
// [MaxDepth] are unknown. Invalid JSON is an error.
//
// It reads the bytes with a small scanner of its own rather than
// encoding/json's Decoder, whose Token costs an allocation or more per
// token: a 15 KB result (30 issues of a tracker) takes about 0.5 ms, a
// 2 MB one, cut at MaxValues, about 6 ms (BenchmarkOf, BenchmarkOfHuge).
func Of(data []byte) (*Shape, error) {
	w := walker{data: data, left: MaxValues}
	s, _, err := w.value(0)
	if err == nil {
		if w.space(); w.pos < len(w.data) {
			err = w.errorf("data after the value")
		}
	}
	if err != nil && !errors.Is(err, errBudget) {
		return nil, fmt.Errorf("learning the shape of a result: %w", err)
	}
	if s != nil {
		prune(s)
	}
	return s, nil
}

var errBudget = errors.New("walked MaxValues values")

type walker struct {
	data  []byte
	pos   int
	left  int
	keys  map[string]bool   // DataKey of the keys seen: the objects of an array repeat them
	names map[string]string // the keys seen, each allocated once
}

func (w *walker) errorf(format string, args ...any) error {
	return fmt.Errorf("invalid JSON at offset %d: "+format, append([]any{w.pos}, args...)...)
}

// space skips white space.
func (w *walker) space() {
	for w.pos < len(w.data) {
		switch w.data[w.pos] {
		case ' ', '\t', '\n', '\r':
			w.pos++
		default:
			return
		}
	}
}

// next skips white space and returns the next byte, or 0 at the end.
func (w *walker) next() byte {
	w.space()
	if w.pos >= len(w.data) {
		return 0
	}
	return w.data[w.pos]
}

// value walks one value. whole is false when the budget ran out inside it.
func (w *walker) value(depth int) (s *Shape, whole bool, err error) {
	if w.left <= 0 {
		return nil, false, errBudget
	}
	w.left--
	switch c := w.next(); {
	case c == '{' || c == '[':
		if depth >= MaxDepth {
			return w.skip()
		}
		w.pos++
		if c == '[' {
			return w.array(depth)
		}
		return w.object(depth)
	case c == '"':
		_, _, err := w.rawStr()
		return &Shape{Kinds: String}, true, err
	case c == 't':
		return &Shape{Kinds: Bool}, true, w.literal("true")
	case c == 'f':
		return &Shape{Kinds: Bool}, true, w.literal("false")
	case c == 'n':
		return &Shape{Kinds: Null}, true, w.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		return &Shape{Kinds: Number}, true, w.number()
	}
	return nil, false, w.errorf("unexpected %q", w.peekByte())
}

func (w *walker) peekByte() string {
	if w.pos >= len(w.data) {
		return "end"
	}
	return string(w.data[w.pos])
}

func (w *walker) literal(word string) error {
	if len(w.data)-w.pos < len(word) || string(w.data[w.pos:w.pos+len(word)]) != word {
		return w.errorf("expected %s", word)
	}
	w.pos += len(word)
	return nil
}

// number skips a number (loosely: the characters numbers are made of).
func (w *walker) number() error {
	start := w.pos
	for w.pos < len(w.data) {
		switch c := w.data[w.pos]; {
		case c >= '0' && c <= '9', c == '-', c == '+', c == '.', c == 'e', c == 'E':
			w.pos++
		default:
			return w.checkNumber(start)
		}
	}
	return w.checkNumber(start)
}

func (w *walker) checkNumber(start int) error {
	if !json.Valid(w.data[start:w.pos]) {
		return w.errorf("invalid number")
	}
	return nil
}

// key reads an object's key at w.pos, decoded. Keys repeat (the objects
// of an array have the same), so each is allocated once per walk.
func (w *walker) key() (string, error) {
	raw, escaped, err := w.rawStr()
	switch {
	case err != nil:
		return "", err
	case escaped:
		var k string
		if err := json.Unmarshal(raw, &k); err != nil {
			return "", w.errorf("invalid string")
		}
		return k, nil
	}
	inner := raw[1 : len(raw)-1]
	if k, ok := w.names[string(inner)]; ok {
		return k, nil
	}
	k := string(inner)
	if w.names == nil {
		w.names = map[string]string{}
	}
	if len(w.names) < 1024 {
		w.names[k] = k
	}
	return k, nil
}

// rawStr passes over the string at w.pos (its opening quote) and returns
// it as written, quotes included, and whether it has escapes.
func (w *walker) rawStr() (raw []byte, escaped bool, err error) {
	start := w.pos
	for w.pos++; w.pos < len(w.data); w.pos++ {
		switch c := w.data[w.pos]; {
		case c == '\\':
			escaped = true
			w.pos++
		case c == '"':
			w.pos++
			return w.data[start:w.pos], escaped, nil
		case c < 0x20:
			return nil, false, w.errorf("control character in a string")
		}
	}
	return nil, false, w.errorf("unterminated string")
}

// skip passes over an array or object too deep to learn, counting its
// values against the budget.
func (w *walker) skip() (*Shape, bool, error) {
	for open := 0; w.pos < len(w.data); {
		switch w.data[w.pos] {
		case '"':
			if _, _, err := w.rawStr(); err != nil {
				return nil, false, err
			}
			continue
		case '[', '{':
			open++
		case ']', '}':
			open--
		case ',':
			if w.left--; w.left <= 0 {
				return &Shape{Any: true}, false, errBudget
			}
		}
		w.pos++
		if open == 0 {
			return &Shape{Any: true}, true, nil
		}
	}
	return nil, false, w.errorf("unterminated value")
}

func (w *walker) array(depth int) (*Shape, bool, error) {
	s := &Shape{Kinds: Array}
	if w.next() == ']' {
		w.pos++
		return s, true, nil
	}
	for {
		item, whole, err := w.value(depth + 1)
		s.Items = mergeInto(s.Items, item)
		if err != nil {
			return s, whole, err
		}
		switch w.next() {
		case ',':
			w.pos++
		case ']':
			w.pos++
			return s, true, nil
		default:
			return s, false, w.errorf("expected , or ] in an array")
		}
	}
}

// object walks an object, as named properties until a key looks like data
// or there are more than MaxProps, then as a record.
func (w *walker) object(depth int) (*Shape, bool, error) {
	s := &Shape{Kinds: Object}
	if w.next() == '}' {
		w.pos++
		s.Objects = 1
		return s, true, nil
	}
	for {
		if w.next() != '"' {
			return s, false, w.errorf("expected a key")
		}
		key, err := w.key()
		if err == nil && w.next() != ':' {
			err = w.errorf("expected :")
		}
		if err != nil {
			return s, false, err
		}
		w.pos++
		v, whole, err := w.value(depth + 1)
		w.add(s, key, v, whole)
		if err != nil {
			for _, p := range s.Props {
				p.Seen = 0 // left part-way: says nothing of what is optional
			}
			return s, false, err
		}
		switch w.next() {
		case ',':
			w.pos++
		case '}':
			w.pos++
			s.Objects = 1
			for _, p := range s.Props {
				p.Seen = min(p.Seen, 1) // a duplicate key counts once
			}
			return s, true, nil
		default:
			return s, false, w.errorf("expected , or } in an object")
		}
	}
}

// dataKey is DataKey, remembered for up to 1,024 keys.
func (w *walker) dataKey(k string) bool {
	if d, ok := w.keys[k]; ok {
		return d
	}
	d := DataKey(k)
	if w.keys == nil {
		w.keys = map[string]bool{}
	}
	if len(w.keys) < 1024 {
		w.keys[k] = d
	}
	return d
}

// add adds property key of value v to the object s being walked.
func (w *walker) add(s *Shape, key string, v *Shape, whole bool) {
	var p *Prop
	if !s.IsRec {
		p = findProp(s.Props, key)
	}
	if !s.IsRec && (w.dataKey(key) || len(s.Props) >= MaxProps && p == nil) {
		s.IsRec, s.Record, s.Props = true, takeValues(s), nil
	}
	if s.IsRec {
		s.Record = mergeInto(s.Record, v)
		return
	}
	seen := int64(0)
	if whole {
		seen = 1
	}
	if p != nil {
		p.Shape, p.Seen = mergeInto(p.Shape, v), p.Seen+seen
		return
	}
	s.Props = append(s.Props, &Prop{Name: key, Seen: seen, Shape: v})
}
