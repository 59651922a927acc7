// Prints the o200k_base token count (gpt-tokenizer) of each file, one JSON
// object per line: {"file", "tokens", "chars"}.
//
//   node count_tokens.mjs NODE_MODULES FILE...
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";

const [, , nodeModules, ...files] = process.argv;
const require = createRequire(resolve(nodeModules, "noop.js"));
const { encode } = require("gpt-tokenizer/encoding/o200k_base");
for (const file of files) {
  const text = readFileSync(file, "utf8");
  console.log(JSON.stringify({ file, tokens: encode(text).length, chars: text.length }));
}
