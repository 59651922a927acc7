// Renders schemas with json-schema-to-typescript, the reference the Go
// equivalence test compares typegen's types with.
//
//   node reference.mjs NODE_MODULES CASES.json OUT.ts
//
// CASES.json is [{"name": N, "schema": S, "skip": B}, ...]. OUT.ts gets one
// namespace per case not skipped, R0, R1, ... (numbered by position), each
// exporting the case's type as Root (and whatever helper types the
// reference declares). A case the reference cannot render
// gets `export type Root = never;` and its error on stderr, so that the
// comparison fails and says why.
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";

const [, , nodeModules, casesFile, outFile] = process.argv;
const require = createRequire(resolve(nodeModules, "noop.js"));
const { compile } = require("json-schema-to-typescript");

// Options: no banner or formatting (speed); nothing is ever fetched. Item
// counts of plain arrays are hints in typegen ("items >=1"), so the reference
// ignores them too, except in schemas with tuples, where they decide which
// elements are required.
const options = {
  bannerComment: "",
  format: false,
  declareExternallyReferenced: true,
  $refOptions: { resolve: { external: false } },
};

// hasTuple reports whether a schema has array-form items or prefixItems.
function hasTuple(v) {
  if (Array.isArray(v)) return v.some(hasTuple);
  if (v === null || typeof v !== "object") return false;
  if (Array.isArray(v.items) || "prefixItems" in v) return true;
  return Object.values(v).some(hasTuple);
}

const cases = JSON.parse(readFileSync(casesFile, "utf8"));
const out = [];
for (const [i, c] of cases.entries()) {
  if (c.skip) continue;
  let ts;
  try {
    // The root is named Root: the reference names a type after its title,
    // else its $id (draft-04 id becomes $id; a root without one gets the
    // name given), so the root's title goes and its $id maps to Root.
    const schema = typeof c.schema === "object" && c.schema !== null ? { ...c.schema } : c.schema;
    if (schema && typeof schema === "object") delete schema.title;
    const rootID = (schema && (schema.$id ?? schema.id)) || "Root";
    const customName = (s) => (s.$id === rootID ? "Root" : undefined);
    ts = await compile(schema, "Root", { ...options, customName, ignoreMinAndMaxItems: !hasTuple(schema) });
  } catch (err) {
    console.error(`${c.name}: ${err.message}`);
    ts = "export type Root = never;\n";
  }
  out.push(`// ${c.name}\nnamespace R${i} {\n${ts}}\n`);
}
writeFileSync(outFile, out.join(""));
