// The UTCP code-mode peer of the benchmark: @utcp/code-mode's client, as a
// user would set it up, with the benchmark's upstream registered through
// UTCP's MCP call template (@utcp/mcp, the upstream over stdio), driven by
// the Go program one JSON request per stdin line, one JSON answer per
// stdout line:
//
//   node utcp.mjs UTCP_NODE_MODULES COMMAND ARGS...
//
// {"op":"tools"}: how many tools the client registered; {"tools": N}.
// {"op":"time","n":N,"code":C}: N sequential callToolChain(C), each in the
//   fresh isolated-vm isolate callToolChain makes; {"durations": [ms...]}.
//   A chain whose result is not {ok: true} is an error of the request.
// {"op":"close"}.
//
// UTCP names an MCP tool manual.server.tool and a script calls it as
// manual.server_tool(args), synchronously: bench.bench_echo({...}).
// isolated-vm is a native module: run this with the node whose headers it
// was built against (see docs/benchmarks.md, Reproduce).
import { createRequire } from "node:module";
import { join } from "node:path";
import { serve } from "./serve.mjs";

const [, , nodeModules, command, ...args] = process.argv;
// UTCP's client and its MCP plugin console.log a line or three per tool
// call: silenced (a no-op, in the peer's favour), and out of the answers'
// way on stdout.
console.log = () => {};
const require = createRequire(join(nodeModules, "noop.js"));
const { CodeModeUtcpClient } = require("@utcp/code-mode");
require("@utcp/mcp"); // registers the "mcp" call template

const client = await CodeModeUtcpClient.create(process.cwd(), null);
await client.registerManual({
  name: "bench",
  call_template_type: "mcp",
  config: { mcpServers: { bench: { transport: "stdio", command, args } } },
});
const tools = (await client.getTools()).length;

async function answer(req) {
  switch (req.op) {
    case "tools":
      return { tools };
    case "time": {
      const durations = [];
      for (let i = 0; i < req.n; i++) {
        const t = performance.now();
        const r = await client.callToolChain(req.code);
        durations.push(performance.now() - t);
        if (r.result?.ok !== true) throw new Error("callToolChain gave " + JSON.stringify(r).slice(0, 500));
      }
      return { durations };
    }
  }
  throw new Error("unknown op " + req.op);
}

await serve(answer);
await client.close?.();
process.exit(0);
