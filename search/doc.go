// Package search ranks documents against a free-text query with BM25F:
// the words of a name weigh more than those of parameter names, which weigh
// more than those of a description. It knows nothing of tools: the registry
// (package tools) makes a [Doc] of each tool, and the server adds a
// subject's saved snippets as documents of their own.
//
//	idx := search.New([]search.Doc{
//		{Key: "memory.create_entities", Namespace: "memory", Name: "create_entities", Params: []string{"entities"}, Description: "Create entities in the graph"},
//		{Key: "memory.read_graph", Namespace: "memory", Name: "read_graph", Description: "Read the whole graph"},
//	})
//	best := idx.Search("add a person", 5) // positions in the documents: [0]
//
// # Words
//
// Text is split into lowercase, lightly stemmed words: snake_case,
// kebab-case, camelCase and dotted names all split, stop words are dropped
// (terms). A query's words also reach, at half weight, their synonyms (an
// everyday word for what tools call otherwise: "save" finds write_file),
// the words of the index they begin ("remind" finds reminder), and the
// parts of a name's run-together words ("log work" finds worklog).
//
// # Layers
//
// [Index.With] adds documents to an index without copying it (a subject's
// snippets on the registry's index, built once per tool set): it ranks
// exactly as an index built over all of them, at the cost of the added
// documents only.
//
// # Concurrency
//
// An Index, and a Layered, never changes once made: any number of
// goroutines may search it at once.
package search
