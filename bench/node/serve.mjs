// serve answers the Go side of the benchmark (bench/driver.go): one JSON
// request a line on stdin, one line on stdout for each, {"ok": what answer
// returned} or {"error": the stack}, until {"op":"close"} or the end of
// stdin.
import readline from "node:readline";

export async function serve(answer) {
  for await (const line of readline.createInterface({ input: process.stdin })) {
    const req = JSON.parse(line);
    if (req.op === "close") break;
    try {
      process.stdout.write(JSON.stringify({ ok: await answer(req) }) + "\n");
    } catch (e) {
      process.stdout.write(JSON.stringify({ error: String(e?.stack ?? e) }) + "\n");
    }
  }
}
