package typegen

import "testing"

func TestGetKeepsLastDuplicate(t *testing.T) {
	var p parser
	v, err := p.parse([]byte(`{"type":"string","description":"x","type":"number"}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := v.getString("type"); got != "number" {
		t.Errorf(`get("type") = %q, want the last value, "number"`, got)
	}
}

func TestQuote(t *testing.T) {
	for in, want := range map[string]string{
		`plain`: `"plain"`, `<&>`: `"<&>"`, "say \"hi\"\n": `"say \"hi\"\n"`, "\u2028": `"\u2028"`,
	} {
		if got := quote(in); got != want {
			t.Errorf("quote(%q) = %s, want %s", in, got, want)
		}
	}
}
