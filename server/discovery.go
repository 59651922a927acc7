package server

import (
	"fmt"
	"strings"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/typegen"
)

// Progressive discovery: when the declarations of every tool would take the
// execute description past codemode.description_budget_tokens, the
// description carries a compact index instead (each namespace on one line
// with as many of its tool names as fit) and says how to discover the rest:
// codemode.search, codemode.describe, or the search_tools tool.

// defaultBudget is the description budget when Limits leaves it zero.
const defaultBudget = 4000

// indexQuotas are the most tool names listed per namespace, tried in
// turn until the description fits its budget; -1 lists them all.
var indexQuotas = []int{-1, 24, 16, 12, 8, 5, 3, 0}

// codemodeDecl declares the sandbox's own helpers for the compact index.
const codemodeDecl = `declare const codemode: {
  /** Tools ranked by how well they match what you want to do. */
  search(query: string, options?: { limit?: number }): Promise<{ name: string; namespace: string; description: string }[]>;
  /** The TypeScript declarations of a tool ("ns.tool") or of a whole namespace ("ns"). */
  describe(name: string): Promise<string>;
  /** Keep a script in the workspace for later runs. */
  save(name: string, code: string, description: string): Promise<{ name: string; path: string; size: number }>;
  /** Run a saved script: its code sees input and returns the result. */
  run(name: string, input?: unknown): Promise<unknown>;
};
`

// fits says whether text is within budget tokens. The estimate can fall
// up to 3% short of the real count (TestEstimateTokens), so it must stay
// within 97% of the budget.
func fits(text string, budget int) bool {
	return estimateTokens(text)*100 <= budget*estimateMargin
}

// estimateMargin is the share of the budget, in percent, the estimate may use.
const estimateMargin = 97

// compactIndex is the largest index of namespaces that keeps the whole
// description (head, index, tail) within budget: every namespace with its
// tool names when they fit, else fewer names per namespace, else the
// namespaces alone, else only as many namespaces as fit.
func compactIndex(nss []typegen.Namespace, head, tail string, budget int) string {
	room := budget*estimateMargin/100 - estimateTokens(head) - estimateTokens(tail)
	for _, quota := range indexQuotas {
		if idx := indexText(nss, quota, true, len(nss)); estimateTokens(idx) <= room {
			return idx
		}
	}
	n := shownFit(nss, room)
	if idx := indexText(nss, 0, false, n); n == 0 || estimateTokens(idx) <= room {
		return idx
	}
	for n--; n > 0; n-- { // never taken: shownFit sums what estimateTokens counts
		if idx := indexText(nss, 0, false, n); estimateTokens(idx) <= room {
			return idx
		}
	}
	return indexText(nss, 0, false, 0)
}

// shownFit is the most namespaces whose index (names alone, then the line
// counting the rest) is within room tokens. Estimating each candidate
// index anew made this quadratic in the namespaces (4 s at 5,000); but the
// estimate of an index is the sum of its lines': each starts with "//" and
// ends with its line break, and no pre-token of estimateTokens crosses one
// (TestShownFit holds the sum to the estimate of the whole text).
func shownFit(nss []typegen.Namespace, room int) int {
	used := estimateTokens(codemodeDecl)
	sums := make([]int, len(nss)+1) // sums[n]: the lines of the first n namespaces
	for i, ns := range nss {
		sums[i+1] = sums[i] + estimateTokens(namespaceLines(ns, 0, false))
	}
	for n := len(nss); n > 0; n-- {
		if used+sums[n]+estimateTokens(restLine(len(nss)-n)) <= room {
			return n
		}
	}
	return 0
}

// indexText writes the index: the codemode helpers, then one comment line
// per namespace (its tool count and description) followed by up to quota
// tool names (all when quota < 0), for the first shown namespaces.
func indexText(nss []typegen.Namespace, quota int, descriptions bool, shown int) string {
	var b strings.Builder
	b.WriteString(codemodeDecl)
	for _, ns := range nss[:shown] {
		b.WriteString(namespaceLines(ns, quota, descriptions))
	}
	b.WriteString(restLine(len(nss) - shown))
	return b.String()
}

// namespaceLines are the index's lines for ns: its tool count and
// description, then up to quota tool names (all when quota < 0).
func namespaceLines(ns typegen.Namespace, quota int, descriptions bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "// %s (%s)", ns.Name, plural(len(ns.Tools), "tool"))
	if d := firstLine(ns.Description); descriptions && d != "" {
		fmt.Fprintf(&b, ": %s", cut(d, 100))
	}
	b.WriteByte('\n')
	if names := toolNames(ns, quota); names != "" {
		fmt.Fprintf(&b, "//   %s\n", names)
	}
	return b.String()
}

// restLine says how many namespaces the index leaves out, if any.
func restLine(rest int) string {
	if rest <= 0 {
		return ""
	}
	return fmt.Sprintf("// … %s more, not shown: codemode.search finds their tools\n", plural(rest, "namespace"))
}

// toolNames lists up to quota method names of ns (all when quota < 0).
func toolNames(ns typegen.Namespace, quota int) string {
	n := len(ns.Tools)
	if quota >= 0 {
		n = min(n, quota)
	}
	names := make([]string, 0, n+1)
	for _, t := range ns.Tools[:n] {
		names = append(names, t.Name)
	}
	if rest := len(ns.Tools) - n; rest > 0 && n > 0 {
		names = append(names, fmt.Sprintf("… %d more", rest))
	}
	return strings.Join(names, ", ")
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// cut shortens s to n runes, marking the cut.
func cut(s string, n int) string {
	if rs := []rune(s); len(rs) > n {
		return string(rs[:n-1]) + "…"
	}
	return s
}

// countTools is the number of tools across nss.
func countTools(nss []typegen.Namespace) int {
	n := 0
	for _, ns := range nss {
		n += len(ns.Tools)
	}
	return n
}

// describeIndex is the description with the compact index in place of the
// declarations.
func describeIndex(a *api, limits config.Codemode, network string, budget int) string {
	var head strings.Builder
	fmt.Fprintf(&head, "Run TypeScript (or JavaScript) that calls the tools listed below and return its result. "+
		"The code is the body of an async function: use `await`, run independent calls at once with `Promise.all`, "+
		"and `return` a JSON-serialisable value (or end with an expression). "+
		"Tool results are plain values; a failing tool throws an Error (name ToolError) you can catch. "+
		"console.log output is returned too. "+snippetsLine+"%s"+
		"Limits: %s and %d tool calls per run.\n\n"+
		"There are %s in %s, too many to declare here; the index below names them. "+
		"Find tools with `await codemode.search(\"what you want to do\", { limit: 10 })`, "+
		"read their TypeScript declarations with `await codemode.describe(\"ns.tool\")` (or a whole namespace, `\"ns\"`), "+
		"then call them as `await ns.tool({ ... })`: every tool takes one argument object. "+
		"The search_tools tool returns the same declarations.\n\n",
		networkLine(network), limits.Timeout, limits.MaxToolCalls,
		plural(countTools(a.namespaces), "tool"), plural(len(a.namespaces), "namespace"))
	tail := "```\n\nExample (look first, then call in the next run):\n```ts\n" +
		"const hits = await codemode.search(\"send an email\", { limit: 3 });\n" +
		"return { hits, api: await codemode.describe(hits[0].name) };\n```"
	head.WriteString("```ts\n")
	head.WriteString(unavailableLines(a))
	return head.String() + compactIndex(a.namespaces, head.String(), tail, budget) + tail
}
