// Counts what a tool set costs the model, in o200k_base tokens (gpt-tokenizer):
// (a) the JSON a tool-calling API would send, JSON.stringify of
//     [{name, description, input_schema}] for the file's tools, and
// (b) our TypeScript declarations of the same file (which also carry the
//     result types, that the JSON lacks).
//
//   node tokens.mjs NODE_MODULES [--json] FILE[=DECLS]...
//
// FILE is a tools/list result ({"tools": [...]}); DECLS the declarations of
// its tools. Without =DECLS they are generated with
// `go run ./cmd/mcp-codemode types --tools FILE` (run from the repository),
// exactly as the model would read them: tools sorted by name.
// Prints a table, or with --json one JSON object per file and one for the
// total: {"file", "json", "ts", "ratio"}.
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { basename, resolve } from "node:path";

const [, , nodeModules, ...rest] = process.argv;
const asJSON = rest[0] === "--json";
const files = asJSON ? rest.slice(1) : rest;
if (!nodeModules || files.length === 0) {
  console.error("usage: node tokens.mjs NODE_MODULES [--json] FILE[=DECLS]...");
  process.exit(2);
}
const require = createRequire(resolve(nodeModules, "noop.js"));
const { encode } = require("gpt-tokenizer/encoding/o200k_base");

function declarations(file, decls) {
  if (decls) return readFileSync(decls, "utf8");
  return execFileSync("go", ["run", "./cmd/mcp-codemode", "types", "--tools", file], { encoding: "utf8" });
}

const rows = [];
for (const arg of files) {
  const [file, decls] = arg.split("=");
  const { tools } = JSON.parse(readFileSync(file, "utf8"));
  const baseline = JSON.stringify(tools.map((t) => ({ name: t.name, description: t.description, input_schema: t.inputSchema })));
  const json = encode(baseline).length;
  const ts = encode(declarations(file, decls)).length;
  rows.push({ file: basename(file), json, ts, ratio: ts / json });
}
const json = rows.reduce((n, r) => n + r.json, 0);
const ts = rows.reduce((n, r) => n + r.ts, 0);
rows.push({ file: "total", json, ts, ratio: ts / json });

if (asJSON) {
  for (const r of rows) console.log(JSON.stringify(r));
} else {
  console.log("file".padEnd(34) + "JSON".padStart(7) + "TS".padStart(7) + "  ratio");
  for (const r of rows) console.log(r.file.padEnd(34) + String(r.json).padStart(7) + String(r.ts).padStart(7) + "  " + r.ratio.toFixed(3));
}
