package search_test

import (
	"fmt"

	"github.com/mcp-codemode/mcp-codemode/search"
)

func Example() {
	docs := []search.Doc{
		{Key: "memory.create_entities", Namespace: "memory", Name: "create_entities", Params: []string{"entities"}, Description: "Create entities in the graph"},
		{Key: "memory.read_graph", Namespace: "memory", Name: "read_graph", Description: "Read the whole graph"},
		{Key: "github.pulls_list", Namespace: "github", Name: "pulls_list List pull requests", Params: []string{"owner", "repo"}},
	}
	idx := search.New(docs)
	for _, q := range []string{"add a person", "read the whole graph", "list pull requests"} {
		for _, i := range idx.Search(q, 1) {
			fmt.Printf("%s: %s\n", q, docs[i].Key)
		}
	}
	// Output:
	// add a person: memory.create_entities
	// read the whole graph: memory.read_graph
	// list pull requests: github.pulls_list
}
