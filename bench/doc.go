// Package bench measures mcp-codemode against its peers in one run: the
// in-process cold start of the sandbox, the execute round trip over stdio
// with the official TypeScript SDK client, fan-out of tool calls with
// Promise.all, throughput over streamable HTTP, memory, typegen for 1,000
// tools, and how the cost grows (issue 18's curves): with 50 to 5,000 tools
// (Scale), with results of 1 KB to 10 MB (ResultSizes) and with 100 to
// 10,000 files in the workspace (Workspace). The peers do the same trivial
// script: a `node -e` subprocess per execution (the "spawn a runtime"
// design), a fresh QuickJS runtime per execution in process
// (quickjs-emscripten, wasm), and @utcp/code-mode's client (a fresh V8
// isolate per script, isolated-vm) over the same upstream (UTCPFigures).
//
//	go run ./bench/cmd/mcp-codemode-bench            # full run, writes docs/benchmarks.{md,svg,json}
//	go run ./bench/cmd/mcp-codemode-bench -quick     # a few iterations of everything, nothing written
//	go run ./bench/cmd/mcp-codemode-bench -scale     # one curve alone (or -results, -workspace), nothing written
//	go run ./bench/cmd/mcp-codemode-bench -from docs/benchmarks.json -out docs  # render a saved run again
//
// The Go benchmarks of this package (go test -run '^$' -bench . ./bench)
// cover the in-process figures alone, for pprof:
//
//	go test -run '^$' -bench ColdStart -cpuprofile cpu.out ./bench
//
// # Fairness
//
// The machine is shared, so the measurements of ours and of the peers are
// interleaved in rounds: each round measures every contender in turn, and a
// burst of load hits all of them alike. Ratios are of medians (p50) taken
// in the same run. A peer's setup that a long-lived server would do once
// (loading node, instantiating the QuickJS wasm module) is outside its
// timings, as ours is (the Go runtime, the compiled prelude).
//
// # What it needs
//
// The pinned npm packages (npm ci --prefix npm): Node 22, the MCP
// TypeScript SDK and quickjs-emscripten; for the UTCP peer, optional,
// bench/node/utcp (UTCPInstall: isolated-vm builds from source against the
// headers of the node on PATH, which runs it). The program builds
// ./cmd/mcp-codemode with the go command, so it runs from the repository.
// It serves as its own stdio upstream (Upstream), a server of 50 tools, one
// of which sleeps.
package bench
