package typegen

import (
	"slices"
	"strconv"
	"strings"
)

// Identifier sanitises name into a valid JavaScript identifier (README: What the model sees):
// every character other than an ASCII letter, digit, '_' or '$' becomes '_'
// (so '-', '.' and spaces do), a leading digit gets a '_' prefix, and the
// empty name becomes "_". Identifiers are kept to ASCII on purpose: every
// engine and tool in the chain (goja, esbuild, tsc) agrees on them.
func Identifier(name string) string {
	if name == "" {
		return "_"
	}
	if isIdentifier(name) {
		return name
	}
	var b strings.Builder
	b.Grow(len(name) + 1)
	if name[0] >= '0' && name[0] <= '9' {
		b.WriteByte('_')
	}
	for _, r := range name {
		if isIdentRune(r) {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

func isIdentRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '$'
}

// isIdentifier reports whether s is an ASCII identifier name, usable as a
// property name without quotes (reserved words are fine there).
func isIdentifier(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isIdentRune(rune(s[i])) {
			return false
		}
	}
	return true
}

// NamespaceNames returns the final global identifiers for raw server names,
// in the same order. Each is sanitised with [Identifier]; a reserved word or
// the name of a JavaScript or sandbox global gets a trailing '_'; names that
// still collide are disambiguated as described at [MethodNames].
func NamespaceNames(raw []string) []string {
	return uniqueNames(raw, func(s string) string {
		id := Identifier(s)
		if reservedGlobals[id] || strings.HasPrefix(id, internalPrefix) {
			id += "_"
		}
		return id
	})
}

// MethodNames returns the final method identifiers for the raw tool names of
// one namespace, in the same order. Names are sanitised with [Identifier];
// reserved words are kept, since github.delete(...) is valid JavaScript, but
// "__proto__" gets a trailing '_' because assigning it would replace the
// namespace object's prototype. Names that collide after sanitising are
// disambiguated independently of input order: a raw name that is the
// identifier itself keeps it, the other colliding raw names are sorted, the
// first keeps the identifier if still free and the others get _2, _3, ...,
// skipping any suffixed name that is already taken.
func MethodNames(raw []string) []string {
	return uniqueNames(raw, func(s string) string {
		id := Identifier(s)
		if id == "__proto__" {
			id += "_"
		}
		return id
	})
}

// uniqueNames maps raw names through base and resolves collisions. The result
// depends only on the multiset of raw names, never on their order.
func uniqueNames(raw []string, base func(string) string) []string {
	out := make([]string, len(raw))
	taken := make(map[string]bool, len(raw))
	groups := make(map[string][]int)
	for i, s := range raw {
		out[i] = base(s)
		taken[out[i]] = true
		groups[out[i]] = append(groups[out[i]], i)
	}
	keys := make([]string, 0, len(groups))
	for k, idx := range groups {
		if len(idx) > 1 {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		idx := groups[k]
		slices.SortStableFunc(idx, func(a, b int) int {
			// The name that needs no change keeps it: list_items stays
			// list_items when list-items also wants it.
			if ka, kb := raw[a] == k, raw[b] == k; ka != kb {
				if ka {
					return -1
				}
				return 1
			}
			return strings.Compare(raw[a], raw[b])
		})
		n := 2
		for _, i := range idx[1:] {
			for taken[k+"_"+strconv.Itoa(n)] {
				n++
			}
			out[i] = k + "_" + strconv.Itoa(n)
			taken[out[i]] = true
		}
	}
	return out
}

// internalPrefix starts the names of globals the sandbox uses internally
// (such as the binding fetch is built on); no namespace may take one.
const internalPrefix = "__codemode"

// reservedGlobals are the identifiers a namespace may not take: reserved
// words (including strict-mode ones, and eval/arguments, which strict code
// cannot bind), every value global of ES2022 (tsc reports a redeclaration
// otherwise), and the globals the sandbox provides.
var reservedGlobals = setOf(
	// Reserved words.
	"await", "break", "case", "catch", "class", "const", "continue", "debugger", "default",
	"delete", "do", "else", "enum", "export", "extends", "false", "finally", "for", "function",
	"if", "import", "in", "instanceof", "new", "null", "return", "super", "switch", "this",
	"throw", "true", "try", "typeof", "var", "void", "while", "with", "yield",
	"implements", "interface", "let", "package", "private", "protected", "public", "static",
	"arguments", "eval", "__proto__",
	// ES2022 globals.
	"globalThis", "undefined", "NaN", "Infinity", "isFinite", "isNaN", "parseFloat", "parseInt",
	"decodeURI", "decodeURIComponent", "encodeURI", "encodeURIComponent", "escape", "unescape",
	"AggregateError", "Array", "ArrayBuffer", "Atomics", "BigInt", "BigInt64Array",
	"BigUint64Array", "Boolean", "DataView", "Date", "Error", "EvalError", "FinalizationRegistry",
	"Float32Array", "Float64Array", "Function", "Int8Array", "Int16Array", "Int32Array", "Intl",
	"JSON", "Map", "Math", "Number", "Object", "Promise", "Proxy", "RangeError", "ReferenceError",
	"Reflect", "RegExp", "Set", "SharedArrayBuffer", "String", "Symbol", "SyntaxError",
	"TypeError", "URIError", "Uint8Array", "Uint8ClampedArray", "Uint16Array", "Uint32Array",
	"WeakMap", "WeakRef", "WeakSet",
	// Sandbox globals, and common host globals a model may expect to mean the real thing.
	"console", "fetch", "codemode", "Request", "Response", "Headers", "URL", "URLSearchParams",
	"setTimeout", "clearTimeout", "setInterval", "clearInterval", "queueMicrotask",
	"structuredClone", "TextEncoder", "TextDecoder", "AbortController", "AbortSignal",
	"atob", "btoa", "require", "process", "module", "exports",
)

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}
