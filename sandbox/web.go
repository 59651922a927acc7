package sandbox

import (
	"bytes"
	_ "embed"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/dop251/goja"
)

//go:embed web.js
var webSource string

var webProgram = sync.OnceValue(func() *goja.Program {
	return goja.MustCompile("web.js", webSource, true)
})

// webGlobal is the web global name (atob, btoa, TextEncoder, TextDecoder or
// structuredClone), all of which web.js makes the first time the code
// uses one (lazyGlobal). The byte work is done here, on inputs of at most a
// sixteenth of the budget (webInput); structuredClone is JavaScript over
// the guarded built-ins, interruptible and watched like the code.
func (x *execution) webGlobal(name string) goja.Value {
	if x.web == nil {
		web, err := x.makeWeb()
		if err != nil {
			panic(err) // the code's stop (an interrupt), or web.js's bug
		}
		x.web = web
	}
	return x.web.Get(name)
}

func (x *execution) makeWeb() (*goja.Object, error) {
	v, err := x.rt.RunProgram(webProgram())
	if err != nil {
		return nil, err
	}
	install, ok := goja.AssertFunction(v)
	if !ok {
		return nil, fmt.Errorf("web.js: not a function")
	}
	g := x.privateObject()
	must(g.Set("atob", x.native("atob", nil, x.atob)))
	must(g.Set("btoa", x.native("btoa", nil, x.btoa)))
	must(g.Set("encode", x.native("encode", nil, x.encodeUTF8)))
	must(g.Set("decode", x.native("decode", nil, x.decodeUTF8)))
	must(g.Set("originalOf", x.originalOfFn))
	web, err := install(goja.Undefined(), g)
	if err != nil {
		return nil, err
	}
	return web.ToObject(x.rt), nil
}

// webLimit is the longest input (characters or bytes) and output (bytes)
// of one call of atob, btoa, TextEncoder.encode or TextDecoder.decode: a
// sixteenth of the budget, 8 MB of 128. The text is read a character at a
// time (goja's String() of 8 M non-ASCII characters allocates 130 MB), so
// one call allocates about its output and goja's copy of it, well within
// the budget; the watchdog acts only between calls.
func (x *execution) webLimit() int { return int(x.limits.memory / 16) }

// webText returns v as a string of at most webLimit characters.
func (x *execution) webText(label string, v goja.Value) goja.String {
	s, ok := v.ToString().(goja.String)
	if !ok {
		panic(x.rt.NewTypeError(label + ": not a string"))
	}
	if n, limit := s.Length(), x.webLimit(); n > limit {
		x.throw(NameRange, fmt.Sprintf("%s: the input is %d long; the limit is %d (a sixteenth of memory_limit_mb): work in parts", label, n, limit))
	}
	return s
}

// eachRune calls f with each character of s.
func eachRune(s goja.String, f func(rune)) {
	rr := s.Reader()
	for {
		r, _, err := rr.ReadRune()
		if err != nil {
			return
		}
		f(r)
	}
}

// btoa(s) encodes a string of Latin-1 characters as base64.
func (x *execution) btoa(call goja.FunctionCall) goja.Value {
	s := x.webText("btoa", call.Argument(0))
	b := make([]byte, 0, s.Length())
	eachRune(s, func(r rune) {
		if r > 0xff {
			x.throw("InvalidCharacterError", "btoa: the string has characters outside Latin-1; "+
				"encode it as UTF-8 first: btoa(String.fromCharCode(...new TextEncoder().encode(s)))")
		}
		b = append(b, byte(r))
	})
	return x.rt.ToValue(base64.StdEncoding.EncodeToString(b))
}

// atob(s) decodes base64 (ASCII whitespace ignored, padding optional) to a
// string of Latin-1 characters, one per byte.
func (x *execution) atob(call goja.FunctionCall) goja.Value {
	s := x.webText("atob", call.Argument(0))
	in := make([]byte, 0, s.Length())
	valid := true
	eachRune(s, func(r rune) {
		switch {
		case r == ' ' || r == '\t' || r == '\n' || r == '\f' || r == '\r':
		case r > 0x7f:
			valid = false
		default:
			in = append(in, byte(r))
		}
	})
	if len(in)%4 == 0 {
		in = bytes.TrimSuffix(bytes.TrimSuffix(in, []byte("=")), []byte("="))
	}
	out := make([]byte, base64.RawStdEncoding.DecodedLen(len(in)))
	n, err := base64.RawStdEncoding.Decode(out, in)
	if !valid || err != nil || len(in)%4 == 1 {
		x.throw("InvalidCharacterError", "atob: the string is not valid base64")
	}
	units := make([]uint16, n)
	for i, c := range out[:n] {
		units[i] = uint16(c)
	}
	return x.rt.ToValue(goja.StringFromUTF16(units))
}

// encodeUTF8 is TextEncoder.encode: a Uint8Array of the UTF-8 of s, lone
// surrogates as U+FFFD.
func (x *execution) encodeUTF8(call goja.FunctionCall) goja.Value {
	s := x.webText("TextEncoder.encode", call.Argument(0))
	limit := x.webLimit()
	b := make([]byte, 0, s.Length())
	eachRune(s, func(r rune) {
		if b = utf8.AppendRune(b, r); len(b) > limit {
			x.throw(NameRange, fmt.Sprintf("TextEncoder.encode: the result is over %d bytes, the limit (a sixteenth of memory_limit_mb): work in parts", limit))
		}
	})
	buf := x.rt.NewArrayBuffer(b)
	u8, err := x.rt.New(x.rt.Get("Uint8Array"), x.rt.ToValue(buf))
	must(err)
	return u8
}

// decodeUTF8 is TextDecoder.decode of a Uint8Array.
func (x *execution) decodeUTF8(call goja.FunctionCall) goja.Value {
	b := bufferBytes(call.Argument(0))
	fatal, ignoreBOM := call.Argument(1).ToBoolean(), call.Argument(2).ToBoolean()
	if limit := x.webLimit(); len(b) > limit {
		x.throw(NameRange, fmt.Sprintf("TextDecoder.decode: the input is %d long; the limit is %d (a sixteenth of memory_limit_mb): work in parts", len(b), limit))
	}
	if !ignoreBOM {
		b = []byte(strings.TrimPrefix(string(b), "\ufeff"))
	}
	if fatal && !utf8.Valid(b) {
		panic(x.newError(NameType, "TextDecoder.decode: the data is not valid UTF-8"))
	}
	return x.rt.ToValue(strings.ToValidUTF8(string(b), "\ufffd"))
}

// throw throws a new error of that name from a native function.
func (x *execution) throw(name, msg string) {
	panic(x.newError(name, msg))
}

// bufferBytes are the bytes of an ArrayBuffer, or of [buffer, offset,
// length] of a view (web.js bytesOf), without copying them.
func bufferBytes(v goja.Value) []byte {
	switch e := v.Export().(type) {
	case goja.ArrayBuffer:
		return e.Bytes()
	case []any:
		if len(e) == 3 {
			buf, _ := e[0].(goja.ArrayBuffer)
			off, _ := e[1].(int64)
			n, _ := e[2].(int64)
			if b := buf.Bytes(); off >= 0 && n >= 0 && off+n <= int64(len(b)) {
				return b[off : off+n]
			}
		}
	}
	return nil
}
