// Package modules lets the model's code import TypeScript and JavaScript
// files of the workspace:
//
//	import { slugify } from "./lib/util.ts";
//	return slugify("Hello World");
//
// Bundle rewrites the code's import declarations in place and bundles the
// imported files with esbuild's Build API, reading them through a
// Workspace (the workspace of the execution's subject), never from the
// host's file system:
//
//	code, err := modules.Bundle(ctx, code, ws, maxCodeBytes)
//
// where ws is a Workspace (a file's size, a file's content).
//
// # Line numbers
//
// Errors in the model's code must point at its own lines, so Bundle never
// adds or removes a line: the bundle is emitted on one line (minified, with
// template literals lowered to strings) in front of the first import, and
// each import declaration becomes one `const` declaration padded with the
// line breaks it spanned. Only the columns of the lines holding an import
// move. An error raised inside an imported file is reported on the line of
// the first import.
//
// # What is supported
//
// Static imports at the start of a line: default, named (with `as`),
// namespace (`* as ns`), side-effect (`import "./x.ts"`), `import type` and
// inline `type` specifiers (dropped). Specifiers are relative ("./", "../")
// or rooted ("/"); a file may leave out its extension (.ts, then .js). The
// imported files may import each other the same way. Package imports
// ("lodash"), dynamic import() and `..` above the workspace root are errors.
// So is `export * from` in an imported file (`export * as ns from` and
// re-exports by name are fine): see Limits.
//
// # Limits
//
// esbuild runs in the server's process, on the server's stack, for the
// script: what it costs counts against the execution (load.go's header
// has the measurements). The code and the files it imports stay within
// the code size limit together, a file is sized before it is read, every
// text passes sandbox.CheckSource before esbuild parses it, at most 100
// files and 1,000 names of import and export clauses are imported, a
// build of more than 8 KB of files waits for one of a few slots of the
// process (as many as CPUs, at least 2), and bundling ends with ctx (the
// execution's deadline).
package modules
