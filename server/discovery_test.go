package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/internal/golden"
	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
	"github.com/mcp-codemode/mcp-codemode/tools"
	"github.com/mcp-codemode/mcp-codemode/typegen"
	"github.com/mcp-codemode/mcp-codemode/workspace"
)

// corpusFiles are the tools/list results of the shared corpus and of the
// discovery evaluation's generated services; not the workspace's
// definitions kept there for package tools, whose tests cannot import
// package workspace (bigRegistry adds the workspace itself).
func corpusFiles(t testing.TB) []string {
	t.Helper()
	a, _ := filepath.Glob("../tools/testdata/*.tools.json")
	b, _ := filepath.Glob("../tools/testdata/discovery/*.tools.json")
	if len(a) == 0 || len(b) == 0 {
		t.Fatal("no corpus in ../tools/testdata")
	}
	a = slices.DeleteFunc(a, func(f string) bool { return filepath.Base(f) == "workspace.tools.json" })
	return append(a, b...)
}

// bigRegistry holds the corpus, the evaluation services under their own
// namespace and again as staging and EU copies, and the workspace: over
// 1,400 tools.
func bigRegistry(t testing.TB) *tools.Registry {
	t.Helper()
	reg := tools.NewRegistry(tools.Options{})
	must(t, reg.Add(workspace.New(nil, workspace.Limits{}).Tools()...))
	for _, f := range corpusFiles(t) {
		ns, _, _ := strings.Cut(filepath.Base(f), ".")
		copies := []string{ns}
		if strings.Contains(f, "discovery") {
			copies = append(copies, ns+"_staging", ns+"_eu")
		}
		for _, name := range copies {
			must(t, reg.Add(readList(t, f, name)...))
		}
	}
	return reg
}

func readList(t testing.TB, file, ns string) []tools.Tool {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	list, err := tools.FromList(ns, data, func(_ context.Context, args json.RawMessage) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultStructured(args, string(args)), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// o200k counts the tokens of each text with the real tokenizer.
func o200k(t *testing.T, texts map[string]string) map[string]int {
	t.Helper()
	node, modules := testenv.Node(t), testenv.NodeModules(t)
	testenv.Package(t, "gpt-tokenizer")
	dir := t.TempDir()
	args := []string{filepath.Join("testdata", "count_tokens.mjs"), modules}
	byFile := map[string]string{}
	i := 0
	for name, text := range texts {
		f := filepath.Join(dir, fmt.Sprintf("%d.txt", i))
		i++
		must(t, os.WriteFile(f, []byte(text), 0o644))
		args = append(args, f)
		byFile[f] = name
	}
	var stderr bytes.Buffer
	cmd := exec.Command(node, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("count_tokens.mjs: %v\n%s", err, stderr.String())
	}
	counts := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var row struct {
			File   string `json:"file"`
			Tokens int    `json:"tokens"`
		}
		must(t, json.Unmarshal(sc.Bytes(), &row))
		counts[byFile[row.File]] = row.Tokens
	}
	return counts
}

// TestEstimateTokens holds estimateTokens to the real o200k count: never
// more than 3% under it (the budget must hold), at most 15% over, per text
// and in total, over the declarations of every corpus file, full and
// compact descriptions and this package's golden.
func TestEstimateTokens(t *testing.T) {
	texts := map[string]string{}
	for _, f := range corpusFiles(t) {
		ns, _, _ := strings.Cut(filepath.Base(f), ".")
		reg := tools.NewRegistry(tools.Options{})
		must(t, reg.Add(readList(t, f, ns)...))
		texts[ns+".d.ts"] = typegen.Declarations(reg.Namespaces(), typegen.Options{})
	}
	big := New(bigRegistry(t), Options{})
	texts["index (1,400 tools)"] = big.Description()
	texts["full (1,400 tools)"] = describeFull(big.current(), big.limits, "")
	texts["golden"] = newTestServer(t, config.Codemode{}).Description()
	real := o200k(t, texts)
	sumEst, sumReal := 0, 0
	for name, text := range texts {
		est, got := estimateTokens(text), real[name]
		sumEst, sumReal = sumEst+est, sumReal+got
		ratio := float64(est) / float64(got)
		t.Logf("%s: estimate %d, o200k %d (%.3f)", name, est, got, ratio)
		if ratio < 0.97 || ratio > 1.15 {
			t.Errorf("%s: estimate %d, o200k %d (%.3f)", name, est, got, ratio)
		}
	}
	t.Logf("total: estimate %d, o200k %d (%.3f)", sumEst, sumReal, float64(sumEst)/float64(sumReal))
}

// TestDescriptionBudget checks that with over 1,400 tools the execute
// description stays within the default budget, by the estimate and by the
// real o200k count, and still names every namespace and says how to
// discover tools.
func TestDescriptionBudget(t *testing.T) {
	reg := bigRegistry(t)
	if n := len(reg.Entries()); n < 1000 {
		t.Fatalf("registry has %d tools, want at least 1,000", n)
	}
	srv := New(reg, Options{})
	desc := srv.Description()
	est := estimateTokens(desc)
	real := o200k(t, map[string]string{"desc": desc})["desc"]
	t.Logf("%d tools in %d namespaces: description %d chars, estimate %d tokens, o200k %d",
		len(reg.Entries()), len(srv.current().namespaces), len(desc), est, real)
	if est > defaultBudget || real > defaultBudget {
		t.Errorf("description costs %d tokens by estimate, %d by o200k; the budget is %d", est, real, defaultBudget)
	}
	for _, want := range []string{"codemode.search(", "codemode.describe(", "search_tools", "// github (26 tools)", "// zendesk_eu ("} {
		if !strings.Contains(desc, want) {
			t.Errorf("description lacks %q", want)
		}
	}
	if strings.Contains(desc, "declare const github") {
		t.Error("description declares namespaces in full although they do not fit")
	}
}

// TestDescriptionLevels checks each step down of the index as the budget
// shrinks: declarations, index with every tool name, fewer names, the
// namespaces alone, and finally only as many namespaces as fit.
func TestDescriptionLevels(t *testing.T) {
	reg := tools.NewRegistry(tools.Options{})
	must(t, reg.Add(workspace.New(nil, workspace.Limits{}).Tools()...))
	for _, f := range corpusFiles(t)[:5] {
		ns, _, _ := strings.Cut(filepath.Base(f), ".")
		must(t, reg.Add(readList(t, f, ns)...))
	}
	full := estimateTokens(New(reg, Options{Limits: config.Codemode{DescriptionBudgetTokens: 1 << 20}}).Description())
	srv := New(reg, Options{})
	nss := srv.current().namespaces
	frame := estimateTokens(describeIndex(srv.current(), srv.limits, "", 1<<20)) - estimateTokens(indexText(nss, -1, true, len(nss)))
	level := func(quota int, descriptions bool, shown int) int { // the least budget that holds it
		return ((frame+estimateTokens(indexText(nss, quota, descriptions, shown)))*100 + estimateMargin - 1) / estimateMargin
	}
	tests := []struct {
		budget    int
		want, not []string
	}{
		{(full*100 + estimateMargin - 1) / estimateMargin, []string{"declare const github: {"}, []string{"too many to declare"}},
		{full, []string{"// github (26 tools)\n//   add_issue_comment, create_branch,", "search_repositories, search_users, update_issue", "codemode.search("}, []string{"declare const github"}},
		{level(8, true, len(nss)), []string{"// github (26 tools)\n//   add_issue_comment,", "… 18 more\n"}, nil},
		{level(0, true, len(nss)), []string{"// github (26 tools)\n// memory (9 tools)"}, []string{"add_issue_comment"}},
		{level(0, false, 3), []string{"// … 3 namespaces more, not shown: codemode.search finds their tools"}, []string{"// workspace (10 tools)"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.budget), func(t *testing.T) {
			desc := New(reg, Options{Limits: config.Codemode{DescriptionBudgetTokens: tt.budget}}).Description()
			if n := estimateTokens(desc); n*100 > tt.budget*estimateMargin {
				t.Errorf("description estimated at %d tokens, over the budget of %d", n, tt.budget)
			}
			for _, w := range tt.want {
				if !strings.Contains(desc, w) {
					t.Errorf("description lacks %q:\n%s", w, desc)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(desc, w) {
					t.Errorf("description has %q", w)
				}
			}
		})
	}
}

// TestDescriptionIndexGolden pins the compact description of the big
// registry: what the model reads when the API does not fit.
func TestDescriptionIndexGolden(t *testing.T) {
	golden.Check(t, "testdata/execute_index.golden", New(bigRegistry(t), Options{}).Description())
}

// TestCodemodeSearch runs the discovery helpers from a script: search with
// options, with one object, describe of a tool and of a namespace.
func TestCodemodeSearch(t *testing.T) {
	srv := New(bigRegistry(t), Options{})
	tests := []struct{ code, want string }{
		{`const hits = await codemode.search("open a new issue on github", { limit: 2 });
		  return [hits.length, hits[0]]`,
			`[2,{"description":"Create a new issue in a GitHub repository","name":"github.create_issue","namespace":"github"}]`},
		{`return (await codemode.search({ query: "send an sms", limit: 1 })).map(h => h.name)`, `["twilio.sendSms"]`},
		{`return (await codemode.search("send an sms")).length`, `5`},
		{`const d = await codemode.describe("memory.read_graph");
		  return [d.includes("read_graph(args?: {})"), d.includes("create_entities")]`, `[true,false]`},
		{`const d = await codemode.describe("memory"); return d.includes("read_graph") && d.includes("create_entities")`, `true`},
		{`try { await codemode.describe("nope") } catch (e) { return e.name + ": " + e.message.slice(0, 67) }`,
			`"TypeError: codemode.describe: no tool or namespace \"nope\"; the namespaces are:"`},
		{`try { await codemode.describe("github.open_issue") } catch (e) { return e.message.split("?")[0] }`,
			`"codemode.describe: no tool or namespace \"github.open_issue\"; did you mean github.get_issue, github.create_issue, github.add_issue_comment"`},
	}
	for _, tt := range tests {
		res := srv.Execute(context.Background(), tt.code)
		if res.Err != nil {
			t.Errorf("%s: %v", tt.code, res.Err)
			continue
		}
		if got := compactJSON(t, res.Value); got != tt.want {
			t.Errorf("%s\n got %s\nwant %s", tt.code, got, tt.want)
		}
	}
}

func compactJSON(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var v any
	must(t, json.Unmarshal(raw, &v))
	out, err := json.Marshal(v)
	must(t, err)
	return string(out)
}

// TestSearchToolsResult checks search_tools: the declarations as text and
// the ranked hits as structured content, the same codemode.search returns.
func TestSearchToolsResult(t *testing.T) {
	srv := New(bigRegistry(t), Options{})
	req := mcp.CallToolRequest{}
	req.Params.Name = "search_tools"
	req.Params.Arguments = map[string]any{"query": "send an sms to a phone number", "limit": 2}
	res, err := srv.handleSearch(context.Background(), req)
	if err != nil || res.IsError {
		t.Fatalf("search_tools = %+v, %v", res, err)
	}
	text := res.Content[0].(mcp.TextContent).Text
	if !strings.Contains(text, "declare const twilio") || !strings.Contains(text, "sendSms(args: {") {
		t.Errorf("text lacks the declarations:\n%s", text)
	}
	got, err := json.Marshal(res.StructuredContent)
	must(t, err)
	want := `{"tools":[{"name":"twilio.sendSms","namespace":"twilio","description":"Send an SMS or MMS to a phone number from one of your Twilio numbers."},` +
		`{"name":"twilio_eu.sendSms","namespace":"twilio_eu","description":"Send an SMS or MMS to a phone number from one of your Twilio numbers."}]}`
	if string(got) != want {
		t.Errorf("structuredContent\n got %s\nwant %s", got, want)
	}
}

// TestDescribeNames: codemode.describe takes the upstream's own names of a
// server and its tools, shows a long description whole, and its "did you
// mean" puts the nearest name first (issue 20.12).
func TestDescribeNames(t *testing.T) {
	long := strings.Repeat("word ", 150) + "END"
	reg := tools.NewRegistry(tools.Options{})
	ok := func(context.Context, json.RawMessage) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText("ok"), nil
	}
	must(t, reg.Add(
		tools.NewTool("my-srv", "list-items", long, nil, ok),
		tools.NewTool("my-srv", "list_items", "Underscore.", nil, ok),
		tools.NewTool("github", "create_issue", "Create.", nil, ok),
		tools.NewTool("github", "create_pull_request_review", "Review.", nil, ok),
		tools.NewTool("github", "get_issue", "Get.", nil, ok),
	))
	srv := New(reg, Options{})
	tests := []struct{ code, want string }{
		{`return await codemode.describe("my-srv.list-items")`,
			`"/** (server \"my-srv\") */\ndeclare const my_srv: {\n/** ` + strings.TrimSpace(strings.Repeat("word ", 150)) + ` END (tool \"list-items\") */\nlist_items_2(args?: {}): Promise\u003cunknown\u003e;\n};\n"`},
		{`return (await codemode.describe("my_srv.list-items")).includes("list_items_2(")`, `true`},
		{`const d = await codemode.describe("my-srv"); return [d.includes("list_items("), d.includes("list_items_2(")]`, `[true,true]`},
		{`try { await codemode.describe("github.create_isue") } catch (e) { return e.message.split("?")[0] }`,
			`"codemode.describe: no tool or namespace \"github.create_isue\"; did you mean github.create_issue, github.create_pull_request_review, github.get_issue"`},
	}
	for _, tt := range tests {
		res := srv.Execute(context.Background(), tt.code)
		if res.Err != nil {
			t.Errorf("%s: %v", tt.code, res.Err)
			continue
		}
		if got := compactJSON(t, res.Value); got != tt.want {
			t.Errorf("%s\n got %s\nwant %s", tt.code, got, tt.want)
		}
	}
}

// TestBudgetWarning: a description budget too small for even the most
// compact index is logged as a warning naming the key and the least budget
// that fits (issue 13.8: 300 gave 493 tokens without a word).
func TestBudgetWarning(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv := New(bigRegistry(t), Options{Limits: config.Codemode{DescriptionBudgetTokens: 300}, Logger: log})
	tokens := estimateTokens(srv.Description())
	want := fmt.Sprintf("the execute description takes about %d tokens, over codemode.description_budget_tokens (300) "+
		"even as the most compact index; set it to at least %d", tokens, smallestBudget(tokens))
	if !strings.Contains(logs.String(), strconv.Quote(want)) {
		t.Errorf("log lacks the warning %q:\n%s", want, logs.String())
	}
	if fits(srv.Description(), 300) || !fits(srv.Description(), smallestBudget(tokens)) || fits(srv.Description(), smallestBudget(tokens)-1) {
		t.Errorf("%d tokens: smallest budget %d is wrong", tokens, smallestBudget(tokens))
	}
	logs.Reset()
	New(bigRegistry(t), Options{Limits: config.Codemode{DescriptionBudgetTokens: smallestBudget(tokens)}, Logger: log})
	if logs.Len() != 0 {
		t.Errorf("warned at the smallest budget that fits:\n%s", logs.String())
	}
}
