// Drives mcp-codemode with the official MCP TypeScript SDK client as an
// agent's host would: it keeps count of notifications/tools/list_changed
// and, with --elicit, declares the elicitation capability and answers each
// elicitation/create with the next queued answer. One JSON request per stdin
// line, one JSON answer per stdout line; nothing here knows what the
// answers should be.
//
//   node agent.mjs NODE_MODULES [--elicit] COMMAND ARGS...
//   node agent.mjs NODE_MODULES [--elicit] --url http|sse URL [TOKEN]
//
// Requests: {"op":"list"} | {"op":"call","name":N,"arguments":A}
//           {"op":"answer","action":"accept"|"decline"|"cancel","content":{...}}
//               queues the answer to the next elicitation
//           {"op":"elicitations"} the elicitation requests received so far
//           {"op":"changes"} the number of tools/list_changed received
//           {"op":"wait_changes","more_than":N} waits (10s at most) until more
//           {"op":"close"}
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { serve } from "./driver.mjs";

const [, , nodeModules, ...rest] = process.argv;
const elicit = rest[0] === "--elicit";
const [command, ...args] = elicit ? rest.slice(1) : rest;
const sdk = (p) => import(pathToFileURL(join(nodeModules, "@modelcontextprotocol/sdk/dist/esm", p)).href);
const { Client } = await sdk("client/index.js");
const { StdioClientTransport } = await sdk("client/stdio.js");
const { ElicitRequestSchema, ToolListChangedNotificationSchema } = await sdk("types.js");

const { StreamableHTTPClientTransport } = await sdk("client/streamableHttp.js");
const { SSEClientTransport } = await sdk("client/sse.js");

function connectTo() {
  if (command !== "--url") return new StdioClientTransport({ command, args, stderr: "inherit", env: process.env });
  const [kind, url, token] = args;
  const requestInit = token ? { headers: { Authorization: `Bearer ${token}` } } : undefined;
  return kind === "sse" ? new SSEClientTransport(new URL(url), { requestInit }) : new StreamableHTTPClientTransport(new URL(url), { requestInit });
}
const transport = connectTo();
const client = new Client({ name: "mcp-codemode-agent", version: "1.0.0" }, { capabilities: elicit ? { elicitation: {} } : {} });

let changes = 0;
client.setNotificationHandler(ToolListChangedNotificationSchema, () => { changes++; });

const answers = [];
const received = [];
if (elicit) {
  client.setRequestHandler(ElicitRequestSchema, (req) => {
    received.push(req.params);
    return answers.shift() ?? { action: "cancel" };
  });
}
await client.connect(transport);

const call = (c) => client.callTool({ name: c.name, arguments: c.arguments }, undefined, { timeout: 120000 });

async function waitChanges(n) {
  for (let deadline = Date.now() + 10000; changes <= n && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 10));
  return { changes };
}

async function answer(req) {
  switch (req.op) {
    case "list":
      return client.listTools();
    case "call":
      return call(req);
    case "answer":
      answers.push(req.content === undefined ? { action: req.action } : { action: req.action, content: req.content });
      return {};
    case "elicitations":
      return received;
    case "changes":
      return { changes };
    case "wait_changes":
      return waitChanges(req.more_than);
    case "close":
      await client.close();
      return {};
  }
  throw new Error("unknown op " + req.op);
}

await serve(answer);
