// Records the unwrapped results of the reference servers' tools, ten calls
// each with varied arguments, for TestCorpus (see corpus_test.go):
//
//   mcp-codemode run --config learn/testdata/record.json learn/testdata/record.ts > learn/testdata/results.json
//
// (record.json names the servers in npm/node_modules and a scratch
// directory /tmp/rec/fs, created empty before.)
const out: Record<string, unknown[]> = {};
async function rec(name: string, f: (i: number) => Promise<unknown>) {
  out[name] = [];
  for (let i = 0; i < 10; i++) {
    try { out[name].push(await f(i)); } catch (e) { /* an error result teaches no type */ }
  }
}
const words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa"];
const types = ["error", "success", "debug"] as const;
const places = ["New York", "Chicago", "Los Angeles"] as const;

await rec("everything.echo", i => everything.echo({ message: words[i] }));
await rec("everything.get-annotated-message", i => everything.get_annotated_message({ messageType: types[i % 3], includeImage: i % 2 == 0 }));
await rec("everything.get-env", i => everything.get_env());
await rec("everything.get-resource-links", i => everything.get_resource_links({ count: i + 1 }));
await rec("everything.get-resource-reference", i => everything.get_resource_reference({ resourceType: i % 2 ? "Text" : "Blob", resourceId: i + 1 }));
await rec("everything.get-structured-content", i => everything.get_structured_content({ location: places[i % 3] }));
await rec("everything.get-sum", i => everything.get_sum({ a: i, b: i * 2.5 }));
await rec("everything.get-tiny-image", i => everything.get_tiny_image());
await rec("everything.gzip-file-as-resource", i => everything.gzip_file_as_resource({ name: words[i] + ".gz", outputType: i % 2 ? "resource" : "resourceLink" }));
await rec("everything.simulate-research-query", i => everything.simulate_research_query({ topic: words[i] }));
await rec("everything.toggle-simulated-logging", i => everything.toggle_simulated_logging());
await rec("everything.toggle-subscriber-updates", i => everything.toggle_subscriber_updates());
await rec("everything.trigger-long-running-operation", i => everything.trigger_long_running_operation({ duration: 0.05, steps: 1 + (i % 2) }));

const dir = "/tmp/rec/fs";
await rec("filesystem.write_file", i => filesystem.write_file({ path: `${dir}/${words[i]}.txt`, content: `${words[i]}\nline ${i}\n` }));
await rec("filesystem.create_directory", i => filesystem.create_directory({ path: `${dir}/d${i}/sub` }));
await rec("filesystem.list_directory", i => filesystem.list_directory({ path: i % 2 ? dir : `${dir}/d${i}` }));
await rec("filesystem.list_directory_with_sizes", i => filesystem.list_directory_with_sizes({ path: dir, sortBy: i % 2 ? "size" : "name" }));
await rec("filesystem.directory_tree", i => filesystem.directory_tree({ path: i % 2 ? dir : `${dir}/d${i}` }));
await rec("filesystem.read_text_file", i => filesystem.read_text_file({ path: `${dir}/${words[i]}.txt`, ...(i % 3 == 1 ? { head: 1 } : {}) }));
await rec("filesystem.read_file", i => filesystem.read_file({ path: `${dir}/${words[i]}.txt` }));
await rec("filesystem.read_media_file", i => filesystem.read_media_file({ path: `${dir}/${words[i]}.txt` }));
await rec("filesystem.read_multiple_files", i => filesystem.read_multiple_files({ paths: [`${dir}/${words[i]}.txt`, `${dir}/${words[(i + 1) % 10]}.txt`, `${dir}/missing${i}.txt`] }));
await rec("filesystem.edit_file", i => filesystem.edit_file({ path: `${dir}/${words[i]}.txt`, edits: [{ oldText: `line ${i}`, newText: `line ${i}!` }], dryRun: i % 2 == 0 }));
await rec("filesystem.search_files", i => filesystem.search_files({ path: dir, pattern: i % 2 ? "*.txt" : `**/${words[i][0]}*` }));
await rec("filesystem.get_file_info", i => filesystem.get_file_info({ path: i % 2 ? `${dir}/${words[i]}.txt` : `${dir}/d${i}` }));
await rec("filesystem.list_allowed_directories", i => filesystem.list_allowed_directories());
await rec("filesystem.move_file", i => filesystem.move_file({ source: `${dir}/${words[i]}.txt`, destination: `${dir}/d${i}/${words[i]}.txt` }));

await rec("memory.create_entities", i => memory.create_entities({ entities: [
  { name: words[i], entityType: i % 2 ? "person" : "project", observations: [`${words[i]} is number ${i}`] },
  ...(i % 3 == 0 ? [{ name: words[i] + "_2", entityType: "place", observations: [] }] : []) ] }));
await rec("memory.create_relations", i => memory.create_relations({ relations: [{ from: words[i], to: words[(i + 1) % 10], relationType: i % 2 ? "knows" : "works_on" }] }));
await rec("memory.add_observations", i => memory.add_observations({ observations: [{ entityName: words[i], contents: [`seen ${i}`, `noted ${i}`] }] }));
await rec("memory.open_nodes", i => memory.open_nodes({ names: [words[i], words[(i + 3) % 10]] }));
await rec("memory.search_nodes", i => memory.search_nodes({ query: i % 2 ? words[i] : "number" }));
await rec("memory.read_graph", i => memory.read_graph());
await rec("memory.delete_observations", i => memory.delete_observations({ deletions: [{ entityName: words[i], observations: [`seen ${i}`] }] }));
await rec("memory.delete_relations", i => memory.delete_relations({ relations: [{ from: words[i], to: words[(i + 1) % 10], relationType: i % 2 ? "knows" : "works_on" }] }));
await rec("memory.delete_entities", i => memory.delete_entities({ entityNames: [words[i]] }));
return out;
