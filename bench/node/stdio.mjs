// Drives mcp-codemode over stdio with the official MCP TypeScript SDK
// client for the benchmark, one JSON request per stdin line, one JSON
// answer per stdout line:
//
//   node stdio.mjs NODE_MODULES COMMAND ARGS...
//
// {"op":"pid"}: the server's process id.
// {"op":"time","n":N,"code":C,"gap":G}: N sequential execute calls, G ms apart
//   (untimed; 0 or absent: back to back); {"durations": [ms...]}.
// {"op":"tool","n":N,"name":T,"args":A}: N sequential calls of the server's tool T
//   with arguments A (the same measurement as "time", of any tool); {"durations": [ms...]}.
// {"op":"ping","n":N,"gap":G}: N sequential MCP pings, G ms apart; {"durations": [ms...]}.
// {"op":"concurrent","n":N,"code":C}: N execute calls at once; {"durations":
//   [ms...] of those that succeeded, "wall": ms, "failures": F, "firstFailure": text}.
// {"op":"close"}.
// An execute that answers isError is an error of the request.
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { serve } from "./serve.mjs";

const [, , nodeModules, command, ...args] = process.argv;
const sdk = (p) => import(pathToFileURL(join(nodeModules, "@modelcontextprotocol/sdk/dist/esm", p)).href);
const { Client } = await sdk("client/index.js");
const { StdioClientTransport } = await sdk("client/stdio.js");

// maxBufferSize: results of 10 MB and more arrive whole (the default is 10 MiB a message).
const transport = new StdioClientTransport({ command, args, stderr: "inherit", env: process.env, maxBufferSize: 64 << 20 });
const client = new Client({ name: "mcp-codemode-bench", version: "1.0.0" });
await client.connect(transport);

async function execute(code) {
  const t = performance.now();
  const r = await client.callTool({ name: "execute", arguments: { code } }, undefined, { timeout: 120000 });
  const d = performance.now() - t;
  if (r.isError) throw new Error("execute failed: " + JSON.stringify(r.content));
  return d;
}

async function answer(req) {
  switch (req.op) {
    case "pid":
      return { pid: transport.pid };
    case "time": {
      const durations = [];
      for (let i = 0; i < req.n; i++) {
        if (req.gap) await new Promise((r) => setTimeout(r, req.gap));
        durations.push(await execute(req.code));
      }
      return { durations };
    }
    case "tool": {
      const durations = [];
      for (let i = 0; i < req.n; i++) {
        const t = performance.now();
        const r = await client.callTool({ name: req.name, arguments: req.args ?? {} }, undefined, { timeout: 120000 });
        durations.push(performance.now() - t);
        if (r.isError) throw new Error(req.name + " failed: " + JSON.stringify(r.content).slice(0, 500));
      }
      return { durations };
    }
    case "ping": {
      const durations = [];
      for (let i = 0; i < req.n; i++) {
        if (req.gap) await new Promise((r) => setTimeout(r, req.gap));
        const t = performance.now();
        await client.ping();
        durations.push(performance.now() - t);
      }
      return { durations };
    }
    case "concurrent": {
      const t = performance.now();
      const settled = await Promise.allSettled(Array.from({ length: req.n }, () => execute(req.code)));
      const failed = settled.filter((s) => s.status === "rejected");
      return {
        durations: settled.filter((s) => s.status === "fulfilled").map((s) => s.value),
        wall: performance.now() - t,
        failures: failed.length,
        firstFailure: failed.length ? String(failed[0].reason?.message ?? failed[0].reason) : "",
      };
    }
  }
  throw new Error("unknown op " + req.op);
}

await serve(answer);
await client.close();
process.exit(0);
