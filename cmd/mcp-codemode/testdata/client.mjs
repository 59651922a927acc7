// Drives mcp-codemode with the official MCP TypeScript SDK client, one JSON
// request per stdin line, one JSON answer per stdout line. The Go end-to-end
// tests speak to it; nothing here knows what the answers should be.
//
//   node client.mjs NODE_MODULES COMMAND ARGS...
//
// Requests: {"op":"list"} | {"op":"call","name":N,"arguments":A}
//           {"op":"time","n":N,"code":C} (N sequential execute calls, durations in ms)
//           {"op":"concurrent","calls":[{name, arguments}...]} | {"op":"close"}
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { serve } from "./driver.mjs";

const [, , nodeModules, command, ...args] = process.argv;
const sdk = (p) => import(pathToFileURL(join(nodeModules, "@modelcontextprotocol/sdk/dist/esm", p)).href);
const { Client } = await sdk("client/index.js");
const { StdioClientTransport } = await sdk("client/stdio.js");

const transport = new StdioClientTransport({ command, args, stderr: "inherit", env: process.env });
const client = new Client({ name: "mcp-codemode-e2e", version: "1.0.0" });
await client.connect(transport);

const call = (c) => client.callTool({ name: c.name, arguments: c.arguments }, undefined, { timeout: 120000 });

async function answer(req) {
  switch (req.op) {
    case "list":
      return client.listTools();
    case "call":
      return call(req);
    case "concurrent":
      return Promise.all(req.calls.map(call));
    case "time": {
      const durations = [];
      for (let i = 0; i < req.n; i++) {
        const t = performance.now();
        const r = await call({ name: "execute", arguments: { code: req.code } });
        durations.push(performance.now() - t);
        if (r.isError) throw new Error("execute failed: " + JSON.stringify(r));
      }
      return { durations };
    }
    case "close":
      await client.close();
      return {};
  }
  throw new Error("unknown op " + req.op);
}

await serve(answer);
