package sandbox

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
)

func TestVLQRoundTrip(t *testing.T) {
	for _, v := range []int{0, 1, -1, 15, 16, -16, 31, 32, 1000, -1000, 1 << 20} {
		s := encodeVLQ(v)
		got, n, ok := decodeVLQ(s + "AAAA")
		if !ok || got != v || n != len(s) {
			t.Errorf("decodeVLQ(encodeVLQ(%d) = %q) = %d, %d, %v", v, s, got, n, ok)
		}
	}
	for _, bad := range []string{"", "!", "g", "gggggggg"} {
		if _, _, ok := decodeVLQ(bad); ok {
			t.Errorf("decodeVLQ(%q) ok", bad)
		}
	}
}

func TestShiftMappings(t *testing.T) {
	// "AAAA" is column 0; "CAAC" column 1; lines without segments stay empty.
	tests := []struct{ in, want string }{
		{"AAAA,CAAC;;EAAE", "CAAA,CAAC;;GAAE"},
		{"", ""},
		{";;", ";;"},
		{"+/AAAA", "ggBAAA"}, // 511 is the three-digit VLQ "+/A"; 512 is "ggB"
	}
	for _, tt := range tests {
		if got := shiftMappings(tt.in); got != tt.want {
			t.Errorf("shiftMappings(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestInlineSourceMap(t *testing.T) {
	got, err := inlineSourceMap([]byte(`{"version":3,"sources":["code.ts"],"mappings":"AAAA"}`), 0)
	if err != nil {
		t.Fatal(err)
	}
	const prefix = "\n//# sourceMappingURL=data:application/json;base64,"
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(got, prefix))
	if !strings.HasPrefix(got, prefix) || err != nil {
		t.Fatalf("inlineSourceMap = %q (%v)", got, err)
	}
	var m struct{ Mappings string }
	if err := json.Unmarshal(b, &m); err != nil || m.Mappings != "CAAA" {
		t.Errorf("mappings = %q (%v); want CAAA", m.Mappings, err)
	}
	if _, err := inlineSourceMap([]byte("{"), 0); err == nil {
		t.Error("bad JSON: no error")
	}
}
