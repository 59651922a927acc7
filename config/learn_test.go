package config

import "testing"

func TestLearnResultTypes(t *testing.T) {
	for _, tc := range []struct {
		text string
		want bool
	}{
		{`{}`, true},
		{`{"codemode": {}}`, true},
		{`{"codemode": {"learn_result_types": true}}`, true},
		{`{"codemode": {"learn_result_types": false}}`, false},
	} {
		c, err := Parse("c.json", []byte(tc.text), func(string) (string, bool) { return "", false })
		if err != nil {
			t.Fatalf("%s: %v", tc.text, err)
		}
		if got := c.Codemode.LearnsResultTypes(); got != tc.want {
			t.Errorf("%s: LearnsResultTypes() = %v, want %v", tc.text, got, tc.want)
		}
	}
	if !Default().Codemode.LearnsResultTypes() {
		t.Error("the default does not learn result types")
	}
	_, err := Parse("c.json", []byte(`{"codemode": {"learn_result_types": "no"}}`), func(string) (string, bool) { return "", false })
	want := `config c.json: codemode.learn_result_types: is "no", a string; use true or false`
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}
