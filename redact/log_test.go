package redact

import (
	"bytes"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"testing"
)

// TestHandler: the message, attributes of every kind (string, error, any
// value, group), those added with With, and keys are scrubbed; a record
// without a secret is logged as it is.
func TestHandler(t *testing.T) {
	const tok = "tok-91ab/ce+77"
	for _, json := range []bool{false, true} {
		var buf bytes.Buffer
		var h slog.Handler = slog.NewTextHandler(&buf, nil)
		if json {
			h = slog.NewJSONHandler(&buf, nil)
		}
		log := slog.New(Handler(h, New([]string{tok}))).With("with", "w "+tok)
		u, _ := url.Parse("https://h/?t=" + url.QueryEscape(tok))
		log.WithGroup("g").Info("msg "+tok, "err", errors.New("e "+tok), "url", u, tok, 1,
			slog.Group("sub", "s", strings.ToUpper("x")+" "+tok), "n", 42)
		log.Info("plain", "n", 1)
		out := buf.String()
		if strings.Contains(out, "tok-91ab") || strings.Count(out, Redacted) != 7 || !strings.Contains(out, "n=42") && !strings.Contains(out, `"n":42`) {
			t.Errorf("json=%v:\n%s", json, out)
		}
		if !strings.Contains(out, "msg=plain") && !strings.Contains(out, `"msg":"plain"`) {
			t.Errorf("a record without a secret changed:\n%s", out)
		}
	}
	h := slog.NewTextHandler(&bytes.Buffer{}, nil)
	if Handler(h, New(nil)) != slog.Handler(h) {
		t.Error("an empty redactor wraps the handler")
	}
}
