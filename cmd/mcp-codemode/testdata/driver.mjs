// The line protocol every test driver speaks with the Go tests: one JSON
// request per stdin line, one {"ok": ...} or {"error": "..."} answer per
// stdout line. {"op": "close"} is the last request.
import readline from "node:readline";

export async function serve(answer) {
  for await (const line of readline.createInterface({ input: process.stdin })) {
    const req = JSON.parse(line);
    try {
      process.stdout.write(JSON.stringify({ ok: await answer(req) }) + "\n");
    } catch (e) {
      process.stdout.write(JSON.stringify({ error: String(e?.stack ?? e) }) + "\n");
    }
    if (req.op === "close") break;
  }
  process.exit(0);
}
