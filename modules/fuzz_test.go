package modules

import (
	"context"
	"strings"
	"testing"
)

// FuzzBundle: whatever the code, Bundle never panics, and code it accepts
// keeps its number of lines.
func FuzzBundle(f *testing.F) {
	for _, s := range []string{
		"import { slugify } from \"./lib/util.ts\";\nreturn slugify('a')",
		"import {\n a,\n b as c } from './lib/util.ts'\nimport * as m from \"/lib/math.ts\"",
		"import x, { y } from \"../up\"",
		"import \"./side.js\"; import type { T } from './t'",
		"importx from './a'\nimport (\"./b\")",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, code string) {
		out, err := Bundle(context.Background(), code, lib, 0)
		if err == nil && strings.Count(out, "\n") != strings.Count(code, "\n") {
			t.Errorf("line count %d → %d for %q", strings.Count(code, "\n"), strings.Count(out, "\n"), code)
		}
	})
}
