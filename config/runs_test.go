package config

import (
	"testing"
	"time"
)

func TestRunsRetention(t *testing.T) {
	for _, tt := range []struct {
		text string
		want time.Duration
		err  string
	}{
		{`{}`, 7 * 24 * time.Hour, ""},
		{`{"codemode": {"runs": {"retention": "30d"}}}`, 30 * 24 * time.Hour, ""},
		{`{"codemode": {"runs": {"retention": "36h"}}}`, 36 * time.Hour, ""},
		{`{"codemode": {"runs": {"retention": "1.5d"}}}`, 0,
			`config c.json: codemode.runs.retention: "1.5d" is not a positive duration; write it like "7d", "36h" or "90m"`},
		{`{"codemode": {"runs": {"retention": "-1h"}}}`, 0,
			`config c.json: codemode.runs.retention: "-1h" is not a positive duration; write it like "7d", "36h" or "90m"`},
		{`{"codemode": {"runs": {"keep": "7d"}}}`, 0,
			`config c.json: codemode.runs.keep: unknown key; the known keys here are retention`},
	} {
		c, err := Parse("c.json", []byte(tt.text), env(nil))
		switch {
		case tt.err != "" && (err == nil || err.Error() != tt.err):
			t.Errorf("%s: error %v, want %s", tt.text, err, tt.err)
		case tt.err == "" && err != nil:
			t.Errorf("%s: %v", tt.text, err)
		case tt.err == "" && c.Codemode.Runs.Retention != tt.want:
			t.Errorf("%s: retention %v, want %v", tt.text, c.Codemode.Runs.Retention, tt.want)
		}
	}
}
