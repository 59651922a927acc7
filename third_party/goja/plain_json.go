package goja

import (
	"bytes"
	"math"
	"strconv"
	"sync/atomic"

	"github.com/dop251/goja/unistring"
)

// Patched: see PATCHES.md ("JSON of plain values in Go").

// PlainJSON bounds what AppendPlainJSON walks.
type PlainJSON struct {
	// MaxDepth is how deep objects may nest: an object with MaxDepth
	// objects above it is not walked.
	MaxDepth int
	// MaxSize bounds the sum, over every value visited (the root with the
	// key ""), of the key's length + 2 + the value's length if it is a
	// string, 4 otherwise: lengths in UTF-16 code units, as a JSON.stringify
	// replacer counting so would.
	MaxSize int
	// Size is that sum so far.
	Size int
	path []*baseObject
}

// AppendPlainJSON appends JSON.stringify(v) to buf, and reports true, when
// serialising v runs no code and meets p's bounds: v is made only of
// primitives other than BigInt, of arrays without holes whose prototype is
// Array.prototype, and of ordinary objects whose prototype is
// Object.prototype, with data properties only, none of them
// toJSON, and neither prototype has a toJSON; no object holds itself; and
// the runtime is not interrupted. Otherwise it reports false, having run
// nothing observable (buf then holds a part of the text). Functions and
// symbols are left out of objects and are null in arrays, as
// JSON.stringify does; a root that JSON.stringify would not serialise
// (undefined, a function, a symbol) is reported false.
func (r *Runtime) AppendPlainJSON(buf *bytes.Buffer, v Value, p *PlainJSON) bool {
	// Array.prototype is made on first use: before it is, no value is an array.
	if r.global.ObjectPrototype.self.hasOwnPropertyStr("toJSON") ||
		r.global.ArrayPrototype != nil && r.global.ArrayPrototype.self.hasOwnPropertyStr("toJSON") {
		return false
	}
	w := plainWalker{r: r, buf: buf, p: p}
	ok, out := w.value(0, v)
	return ok && out
}

type plainWalker struct {
	r     *Runtime
	buf   *bytes.Buffer
	p     *PlainJSON
	count int
}

// value writes v, visited under a key of keyLen code units; out is false
// when v is left out (undefined, a function, a symbol).
func (w *plainWalker) value(keyLen int, v Value) (ok, out bool) {
	if w.count++; w.count&4095 == 0 && atomic.LoadUint32(&w.r.vm.interrupted) != 0 {
		return false, false
	}
	p := w.p
	p.Size += keyLen + 2
	if s, isString := v.(String); isString {
		p.Size += s.Length()
	} else {
		p.Size += 4
	}
	if p.Size > p.MaxSize {
		return false, false
	}
	switch v := v.(type) {
	case valueBool:
		if v {
			w.buf.WriteString("true")
		} else {
			w.buf.WriteString("false")
		}
	case valueNull:
		w.buf.WriteString("null")
	case valueInt:
		w.buf.Write(strconv.AppendInt(w.buf.AvailableBuffer(), int64(v), 10))
	case valueFloat:
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			w.buf.WriteString("null")
		} else {
			w.buf.WriteString(v.String())
		}
	case asciiString:
		quoteASCII(w.buf, string(v))
	case String:
		ctx := _builtinJSON_stringifyContext{r: w.r}
		ctx.quote(v)
		w.buf.Write(ctx.buf.Bytes())
	case valueUndefined, *Symbol:
		return true, false
	case *Object:
		return w.object(v)
	default: // BigInt, anything else
		return false, false
	}
	return true, true
}

func (w *plainWalker) object(o *Object) (ok, out bool) {
	var b *baseObject
	var elems []Value
	isArray := false
	switch self := o.self.(type) {
	case *baseObject:
		if self.prototype != w.r.global.ObjectPrototype {
			return false, false
		}
		b = self
	case *arrayObject:
		if self.prototype != w.r.global.ArrayPrototype || self.propValueCount > 0 ||
			self.objCount != len(self.values) || uint32(len(self.values)) != self.length {
			return false, false
		}
		b, elems, isArray = &self.baseObject, self.values, true
	case *funcObject, *nativeFuncObject, *arrowFuncObject, *methodFuncObject:
		// Left out, as JSON.stringify leaves a function out, unless it or
		// its prototype has a toJSON to call.
		fp := w.r.global.FunctionPrototype
		if o.self.proto() != fp || o.self.hasOwnPropertyStr("toJSON") || fp.self.hasOwnPropertyStr("toJSON") {
			return false, false
		}
		return true, false
	default:
		return false, false
	}
	if _, has := b.values["toJSON"]; has {
		return false, false
	}
	p := w.p
	if len(p.path) >= p.MaxDepth {
		return false, false
	}
	for _, h := range p.path {
		if h == b {
			return false, false
		}
	}
	p.path = append(p.path, b)
	defer func() { p.path = p.path[:len(p.path)-1] }()
	if isArray {
		w.buf.WriteByte('[')
		for i, e := range elems {
			if i > 0 {
				w.buf.WriteByte(',')
			}
			ok, out := w.value(decimalLen(i), e)
			if !ok {
				return false, false
			}
			if !out {
				w.buf.WriteString("null")
			}
		}
		w.buf.WriteByte(']')
		return true, true
	}
	b.ensurePropOrder()
	w.buf.WriteByte('{')
	first := true
	for _, name := range b.propNames {
		v := b.values[name]
		if prop, isProp := v.(*valueProperty); isProp {
			if !prop.enumerable {
				continue
			}
			if prop.accessor {
				return false, false
			}
			v = prop.value
		}
		mark := w.buf.Len()
		if !first {
			w.buf.WriteByte(',')
		}
		keyLen := quoteKey(w.buf, name)
		w.buf.WriteByte(':')
		ok, out := w.value(keyLen, v)
		if !ok {
			return false, false
		}
		if out {
			first = false
		} else {
			w.buf.Truncate(mark)
		}
	}
	w.buf.WriteByte('}')
	return true, true
}

// quoteKey writes name as a JSON string and returns its length in UTF-16
// code units.
func quoteKey(buf *bytes.Buffer, name unistring.String) int {
	if u := name.AsUtf16(); u != nil {
		s := stringValueFromRaw(name)
		ctx := _builtinJSON_stringifyContext{}
		ctx.quote(s)
		buf.Write(ctx.buf.Bytes())
		return s.Length()
	}
	quoteASCII(buf, string(name))
	return len(name)
}

// quoteASCII is _builtinJSON_stringifyContext.quote for an ASCII string.
func quoteASCII(buf *bytes.Buffer, s string) {
	buf.WriteByte('"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		buf.WriteString(s[start:i])
		start = i + 1
		switch c {
		case '"', '\\':
			buf.WriteByte('\\')
			buf.WriteByte(c)
		case 0x08:
			buf.WriteString(`\b`)
		case 0x09:
			buf.WriteString(`\t`)
		case 0x0A:
			buf.WriteString(`\n`)
		case 0x0C:
			buf.WriteString(`\f`)
		case 0x0D:
			buf.WriteString(`\r`)
		default:
			buf.WriteString(`\u00`)
			buf.WriteByte(hex[c>>4])
			buf.WriteByte(hex[c&0xF])
		}
	}
	buf.WriteString(s[start:])
	buf.WriteByte('"')
}

func decimalLen(i int) int {
	n := 1
	for i >= 10 {
		i /= 10
		n++
	}
	return n
}
