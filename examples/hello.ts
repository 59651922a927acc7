// Runs against the built-in workspace: `go run ./cmd/mcp-codemode run examples/hello.ts`
await workspace.write_file({ path: "hello.txt", content: "Hello from code mode!" });
const [text, files] = await Promise.all([
  workspace.read_file({ path: "hello.txt" }),
  workspace.list_files({}),
]);
console.log(`read back ${text.length} characters`);
return { text, files };
