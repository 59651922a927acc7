// Drives mcp-codemode over streamable HTTP or SSE with the official MCP
// TypeScript SDK client, one JSON request per stdin line, one JSON answer
// per stdout line. The Go end-to-end tests speak to it; nothing here knows
// what the answers should be.
//
//   node http_client.mjs NODE_MODULES http|sse URL [TOKEN]
//
// Requests:
//   {"op":"connect"}                          connects (answers the session id)
//   {"op":"list"} | {"op":"call","name":N,"arguments":A}
//   {"op":"watch","name":N,"arguments":A,"progress":bool,"abortAfterMs":ms}
//      answers {result, events, aborted, ms}: events are "progress MESSAGE",
//      "log LEVEL DATA" and "result" in the order the client saw them
//   {"op":"setLevel","level":L}
//   {"op":"concurrent","calls":[{name, arguments}...]}
//   {"op":"errors"}                           errors the client reported so far
//   {"op":"close"}
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { serve } from "./driver.mjs";

const [, , nodeModules, kind, url, token] = process.argv;
const sdk = (p) => import(pathToFileURL(join(nodeModules, "@modelcontextprotocol/sdk/dist/esm", p)).href);
const { Client } = await sdk("client/index.js");
const { StreamableHTTPClientTransport } = await sdk("client/streamableHttp.js");
const { SSEClientTransport } = await sdk("client/sse.js");
const { LoggingMessageNotificationSchema } = await sdk("types.js");

const requestInit = token ? { headers: { Authorization: `Bearer ${token}` } } : undefined;
const transport = kind === "sse"
  ? new SSEClientTransport(new URL(url), { requestInit })
  : new StreamableHTTPClientTransport(new URL(url), { requestInit });
const client = new Client({ name: "mcp-codemode-http-e2e", version: "1.0.0" });
const errors = [];
client.onerror = (e) => errors.push(String(e?.message ?? e));
let events = null; // the events of the call in progress, when one is watched
client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
  events?.push(`log ${n.params.level} ${n.params.data}`);
});

async function watch(req) {
  const opts = { timeout: 120000 };
  const mine = [];
  events = mine;
  if (req.progress) opts.onprogress = (p) => mine.push(`progress ${p.message}`);
  const ac = new AbortController();
  opts.signal = ac.signal;
  if (req.abortAfterMs !== undefined) setTimeout(() => ac.abort("test"), req.abortAfterMs);
  const t = performance.now();
  try {
    const result = await client.callTool({ name: req.name, arguments: req.arguments }, undefined, opts);
    mine.push("result");
    return { result, events: mine, ms: performance.now() - t };
  } catch (e) {
    if (!ac.signal.aborted) throw e;
    return { aborted: String(e?.message ?? e), events: mine, ms: performance.now() - t };
  } finally {
    events = null;
  }
}

async function answer(req) {
  switch (req.op) {
    case "connect":
      await client.connect(transport);
      return { sessionId: transport.sessionId ?? null };
    case "list":
      return client.listTools();
    case "call":
      return client.callTool({ name: req.name, arguments: req.arguments }, undefined, { timeout: 120000 });
    case "watch":
      return watch(req);
    case "setLevel":
      return client.setLoggingLevel(req.level);
    case "concurrent":
      return Promise.all(req.calls.map((c) => client.callTool({ name: c.name, arguments: c.arguments }, undefined, { timeout: 120000 })));
    case "errors":
      return { errors };
    case "close":
      await client.close();
      return {};
  }
  throw new Error("unknown op " + req.op);
}

await serve(answer);
