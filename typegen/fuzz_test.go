package typegen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/evanw/esbuild/pkg/api"
)

// FuzzDeclarations feeds random schemas and descriptions through
// Declarations and TypeOf: they must never panic, every comment written must
// close where the generator closes it, and the output must be TypeScript
// that esbuild parses.
func FuzzDeclarations(f *testing.F) {
	for _, c := range allFeatureCases() {
		f.Add(c.schema, c.name)
	}
	for _, text := range hostileTexts {
		f.Add(`{"type":"object","properties":{"a":{"type":"string","description":`+quote(text)+`}}}`, text)
	}
	for _, c := range loadZoo(f) {
		f.Add(string(c.Schema), c.Name)
	}
	f.Fuzz(func(t *testing.T, schema, desc string) {
		ns := []Namespace{{Name: "n", Description: desc, Tools: []Tool{
			{Name: desc, Description: desc, InputSchema: json.RawMessage(schema), OutputSchema: json.RawMessage(schema)},
		}}}
		out := Declarations(ns, Options{MaxDescription: 40})
		if msg := checkComments(out); msg != "" {
			t.Fatalf("%s\nschema: %s\ndescription: %q\noutput:\n%s", msg, schema, desc, out)
		}
		if !strings.HasSuffix(out, "};\n") {
			t.Fatalf("output does not end the declaration:\n%s", out)
		}
		if msg := parseTS(out); msg != "" {
			t.Fatalf("esbuild: %s\nschema: %s\ndescription: %q\noutput:\n%s", msg, schema, desc, out)
		}
		defs, typ := typeOf(json.RawMessage(schema))
		if msg := parseTS(defs + "type T = " + typ + ";\n"); msg != "" {
			t.Fatalf("esbuild: %s\nschema: %s\nTypeOf:\n%s%s", msg, schema, defs, typ)
		}
	})
}

// parseTS parses TypeScript with esbuild, returning its first error or "".
func parseTS(src string) string {
	res := api.Transform(src, api.TransformOptions{Loader: api.LoaderTS, LogLevel: api.LogLevelSilent})
	if len(res.Errors) == 0 {
		return ""
	}
	e := res.Errors[0]
	if e.Location != nil {
		return fmt.Sprintf("%d:%d: %s: %s", e.Location.Line, e.Location.Column, e.Text, e.Location.LineText)
	}
	return e.Text
}

// BenchmarkDeclarations1000 declares 1,008 tools: the 63 corpus tools under
// 16 namespaces. Schemas are compacted first, as they arrive over the wire
// (the corpus files are indented for reading).
func BenchmarkDeclarations1000(b *testing.B) {
	var base []Namespace
	for _, path := range corpusFiles(b) {
		n := loadNamespace(b, path)
		for i := range n.Tools {
			n.Tools[i].InputSchema = compact(b, n.Tools[i].InputSchema)
			n.Tools[i].OutputSchema = compact(b, n.Tools[i].OutputSchema)
		}
		base = append(base, n)
	}
	var ns []Namespace
	tools := 0
	for i := 0; tools < 1000; i++ {
		for _, n := range base {
			n.Name = n.Name + "_" + string(rune('a'+i))
			ns = append(ns, n)
			tools += len(n.Tools)
		}
	}
	b.ReportMetric(float64(tools), "tools")
	b.ResetTimer()
	for b.Loop() {
		Declarations(ns, Options{})
	}
}

func compact(b *testing.B, raw json.RawMessage) json.RawMessage {
	if raw == nil {
		return nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}
