// The in-process peers of the benchmark, driven by the Go program one JSON
// request per stdin line, one JSON answer per stdout line:
//
//   node peers.mjs NODE_MODULES
//
// {"op":"quickjs","n":N,"code":C,"tools":T}: N executions, each in a fresh
//   QuickJS runtime and context (quickjs-emscripten, wasm) with T host
//   functions in 5 namespace objects, running C as a function body; the
//   result is JSON.stringify-ed inside QuickJS and read back.
// {"op":"vm","n":N,"code":C,"tools":T}: the same with a fresh node:vm context
//   (not a security boundary; for scale only).
// Both answer {"durations": [ms...]}. The wasm module is loaded once, before
// any timing, as a long-lived server would.
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { serve } from "./serve.mjs";
import vm from "node:vm";

const [, , nodeModules] = process.argv;
const { getQuickJS, shouldInterruptAfterDeadline } = await import(
  pathToFileURL(join(nodeModules, "quickjs-emscripten/dist/index.mjs")).href
);
const QuickJS = await getQuickJS();

function quickjsOnce(code, tools) {
  const rt = QuickJS.newRuntime();
  rt.setMemoryLimit(128 << 20);
  rt.setInterruptHandler(shouldInterruptAfterDeadline(Date.now() + 30000));
  const ctx = rt.newContext();
  const spaces = [];
  for (let s = 0; s < 5; s++) spaces.push(ctx.newObject());
  for (let i = 0; i < tools; i++) {
    const fn = ctx.newFunction(`tool_${i}`, (args) => args);
    ctx.setProp(spaces[i % 5], `tool_${i}`, fn);
    fn.dispose();
  }
  spaces.forEach((o, s) => {
    ctx.setProp(ctx.global, `server${s}`, o);
    o.dispose();
  });
  const handle = ctx.unwrapResult(ctx.evalCode(`JSON.stringify((() => {\n${code}\n})())`));
  const out = ctx.getString(handle);
  handle.dispose();
  ctx.dispose();
  rt.dispose();
  return out;
}

function vmOnce(code, tools) {
  const sandbox = {};
  for (let s = 0; s < 5; s++) sandbox[`server${s}`] = {};
  for (let i = 0; i < tools; i++) sandbox[`server${i % 5}`][`tool_${i}`] = (args) => args;
  const ctx = vm.createContext(sandbox);
  return vm.runInContext(`JSON.stringify((() => {\n${code}\n})())`, ctx);
}

const peers = { quickjs: quickjsOnce, vm: vmOnce };

function time(req) {
  const once = peers[req.op];
  if (!once) throw new Error("unknown op " + req.op);
  const durations = [];
  for (let i = 0; i < req.n; i++) {
    const t = performance.now();
    const out = once(req.code, req.tools ?? 50);
    durations.push(performance.now() - t);
    if (out !== '{"ok":true}') throw new Error(`${req.op} gave ${out}`);
  }
  return { durations };
}

await serve(time);
process.exit(0);
