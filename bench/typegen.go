package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/mcp-codemode/mcp-codemode/internal/toolsfile"
	"github.com/mcp-codemode/mcp-codemode/typegen"
)

// Corpus1000 returns 1,008 tools: typegen's corpus of real servers'
// tools/list results (typegen/testdata/corpus), repeated under 16
// namespaces, with compact schemas as they arrive over the wire.
func (e Env) Corpus1000() ([]typegen.Namespace, error) {
	files, err := filepath.Glob(filepath.Join(e.Root, "typegen", "testdata", "corpus", "*.tools.json"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no typegen corpus under %s: %v", e.Root, err)
	}
	var base []typegen.Namespace
	for _, f := range files {
		n, err := loadNamespace(f)
		if err != nil {
			return nil, err
		}
		base = append(base, n)
	}
	var out []typegen.Namespace
	for i, tools := 0, 0; tools < 1000; i++ {
		for _, n := range base {
			n.Name = fmt.Sprintf("%s_%c", n.Name, 'a'+i)
			out = append(out, n)
			tools += len(n.Tools)
		}
	}
	return out, nil
}

// loadNamespace reads a tools/list file as typegen's tests do, named after
// the file's base name up to the first '.', with compact schemas.
func loadNamespace(path string) (typegen.Namespace, error) {
	f, err := toolsfile.Read(path)
	if err != nil {
		return typegen.Namespace{}, err
	}
	names := typegen.MethodNames(f.Names())
	base, _, _ := strings.Cut(filepath.Base(path), ".")
	ns := typegen.Namespace{Name: typegen.NamespaceNames([]string{base})[0]}
	for i, t := range f.Tools {
		ns.Tools = append(ns.Tools, typegen.Tool{Name: names[i], Description: t.Description,
			InputSchema: compact(t.InputSchema), OutputSchema: compact(t.OutputSchema)})
	}
	return ns, nil
}

func compact(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return raw
	}
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return raw
	}
	return b.Bytes()
}

// toolCount is the number of tools in ns.
func toolCount(ns []typegen.Namespace) int {
	n := 0
	for _, x := range ns {
		n += len(x.Tools)
	}
	return n
}
