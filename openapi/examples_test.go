package openapi

import (
	"encoding/json"

	"path/filepath"
	"strings"
	"testing"
)

// Every edge-case document of @readme/oas-examples (OpenAPI 2.0, 3.0 and
// 3.1, JSON and YAML) loads, or fails with a SpecError that names it and
// says what to fix; the schemas it gives are JSON.
func TestOASExamples(t *testing.T) {
	root := npm(t, "@readme", "oas-examples")
	var specs []string
	for _, v := range []string{"2.0", "3.0", "3.1"} {
		for _, format := range []string{"json", "yaml"} {
			files, _ := filepath.Glob(filepath.Join(root, v, format, "*."+format))
			specs = append(specs, files...)
		}
	}
	if len(specs) < 50 {
		t.Fatalf("found %d documents in %s", len(specs), root)
	}
	ops := 0
	for _, spec := range specs {
		api, err := Load(Options{Spec: spec, BaseURL: "https://api.example.com"})
		if err != nil {
			if wantErr[filepath.Base(filepath.Dir(filepath.Dir(spec)))+"/"+strings.TrimSuffix(filepath.Base(spec), filepath.Ext(spec))] == "" {
				t.Errorf("%s: %v", spec, err)
			}
			continue
		}
		ops += len(api.Operations)
		for _, op := range api.Operations {
			checkJSON(t, spec, op)
		}
	}
	t.Logf("%d documents, %d operations", len(specs), ops)
}

// wantErr are the documents refused, and why.
var wantErr = map[string]string{}

func checkJSON(t *testing.T, spec string, op *Operation) {
	t.Helper()
	for _, s := range [][]byte{op.Input, op.Output} {
		if s != nil && !jsonValid(s) {
			t.Errorf("%s: %s: invalid schema JSON: %s", spec, op.Name, s)
		}
	}
}

func jsonValid(b []byte) bool {
	return len(b) > 0 && (b[0] == '{' || b[0] == 't' || b[0] == 'f') && validJSON(b)
}

func validJSON(b []byte) bool { return json.Valid(b) }
