package sandbox

import (
	"encoding/base64"
	"encoding/json"
	"strings"
)

// inlineSourceMap returns the comment that attaches sourceMap (esbuild's
// JSON) to the generated code, adjusted for goja.
//
// goja looks up a position in the source map with a 1-based generated
// column where the map (and the go-sourcemap package) count from 0, so every
// lookup would land one character late: on the ")" of a call rather than its
// start. Shifting every mapping one column right cancels that out.
//
// skipLines generated lines come before the code esbuild generated (a
// wrapper put around its output): the mappings start with as many empty lines.
func inlineSourceMap(sourceMap []byte, skipLines int) (string, error) {
	var m map[string]any
	if err := json.Unmarshal(sourceMap, &m); err != nil {
		return "", err
	}
	if s, ok := m["mappings"].(string); ok {
		m["mappings"] = strings.Repeat(";", skipLines) + shiftMappings(s)
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "", err
	}
	return "\n//# sourceMappingURL=data:application/json;base64," + base64.StdEncoding.EncodeToString(b), nil
}

// shiftMappings adds one to every generated column of a source map's
// mappings. Generated columns are relative within a line and start again at
// each ";", so only the first field of each line's first segment changes.
func shiftMappings(mappings string) string {
	lines := strings.Split(mappings, ";")
	for i, l := range lines {
		if v, n, ok := decodeVLQ(l); ok {
			lines[i] = encodeVLQ(v+1) + l[n:]
		}
	}
	return strings.Join(lines, ";")
}

const vlqDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// decodeVLQ decodes the base64 VLQ at the start of s and returns it with
// the number of bytes it used.
func decodeVLQ(s string) (v, n int, ok bool) {
	shift := 0
	for n < len(s) {
		d := strings.IndexByte(vlqDigits, s[n])
		if d < 0 || shift > 30 {
			return 0, 0, false
		}
		n++
		v |= (d & 31) << shift
		shift += 5
		if d&32 == 0 {
			if v&1 == 1 {
				return -(v >> 1), n, true
			}
			return v >> 1, n, true
		}
	}
	return 0, 0, false
}

func encodeVLQ(v int) string {
	u := v << 1
	if v < 0 {
		u = (-v << 1) | 1
	}
	var b strings.Builder
	for {
		d := u & 31
		u >>= 5
		if u > 0 {
			d |= 32
		}
		b.WriteByte(vlqDigits[d])
		if u == 0 {
			return b.String()
		}
	}
}
