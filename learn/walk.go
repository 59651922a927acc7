package learn

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Of returns the shape of one JSON value: a tool's unwrapped result. It
// walks at most [MaxValues] values: of a larger result, the part walked
// (arrays are sampled from their start) makes the shape, and objects left
// part-way count towards no property's optionality. Values deeper than
// [MaxDepth] are unknown. Invalid JSON is an error.
func Of(data []byte) (*Shape, error) {
	w := walker{dec: json.NewDecoder(bytes.NewReader(data)), left: MaxValues}
	w.dec.UseNumber()
	s, _, err := w.value(0)
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
	dec  *json.Decoder
	left int
}

// value walks one value. whole is false when the budget ran out inside it.
func (w *walker) value(depth int) (s *Shape, whole bool, err error) {
	if w.left <= 0 {
		return nil, false, errBudget
	}
	w.left--
	tok, err := w.dec.Token()
	if err != nil {
		return nil, false, err
	}
	switch t := tok.(type) {
	case nil:
		return &Shape{Kinds: Null}, true, nil
	case bool:
		return &Shape{Kinds: Bool}, true, nil
	case json.Number:
		return &Shape{Kinds: Number}, true, nil
	case string:
		return &Shape{Kinds: String}, true, nil
	case json.Delim:
		if depth >= MaxDepth {
			return w.skip()
		}
		if t == '[' {
			return w.array(depth)
		}
		return w.object(depth)
	}
	return nil, false, fmt.Errorf("unexpected token %v", tok)
}

// skip consumes the rest of an array or object too deep to learn.
func (w *walker) skip() (*Shape, bool, error) {
	for open := 1; open > 0; {
		if w.left <= 0 {
			return &Shape{Any: true}, false, errBudget
		}
		w.left--
		tok, err := w.dec.Token()
		if err != nil {
			return nil, false, err
		}
		if d, ok := tok.(json.Delim); ok {
			if d == '[' || d == '{' {
				open++
			} else {
				open--
			}
		}
	}
	return &Shape{Any: true}, true, nil
}

func (w *walker) array(depth int) (*Shape, bool, error) {
	s := &Shape{Kinds: Array}
	for w.dec.More() {
		item, whole, err := w.value(depth + 1)
		s.Items = merge(s.Items, item)
		if err != nil {
			return s, whole, err
		}
	}
	_, err := w.dec.Token() // ]
	return s, true, err
}

// object walks an object, as named properties until a key looks like data
// or there are more than MaxProps, then as a record.
func (w *walker) object(depth int) (*Shape, bool, error) {
	s := &Shape{Kinds: Object}
	index := map[string]*Prop{}
	for w.dec.More() {
		tok, err := w.dec.Token()
		if err != nil {
			return s, false, err
		}
		key, _ := tok.(string)
		v, whole, err := w.value(depth + 1)
		w.add(s, index, key, v, whole)
		if err != nil {
			for _, p := range s.Props {
				p.Seen = 0 // left part-way: says nothing of what is optional
			}
			return s, false, err
		}
	}
	s.Objects = 1
	for _, p := range s.Props {
		p.Seen = min(p.Seen, 1) // a duplicate key counts once
	}
	_, err := w.dec.Token() // }
	return s, true, err
}

// add adds property key of value v to the object s being walked.
func (w *walker) add(s *Shape, index map[string]*Prop, key string, v *Shape, whole bool) {
	if !s.IsRec && (DataKey(key) || len(s.Props) >= MaxProps && index[key] == nil) {
		s.IsRec, s.Record, s.Props = true, recordValues(s), nil
	}
	if s.IsRec {
		s.Record = merge(s.Record, v)
		return
	}
	seen := int64(0)
	if whole {
		seen = 1
	}
	if p := index[key]; p != nil {
		p.Shape, p.Seen = merge(p.Shape, v), p.Seen+seen
		return
	}
	p := &Prop{Name: key, Seen: seen, Shape: v}
	index[key] = p
	s.Props = append(s.Props, p)
}
