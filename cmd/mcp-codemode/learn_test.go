package main

import (
	"context"
	"testing"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/store"
)

// TestLearnBook: learn_result_types false learns nothing; without a
// data_dir or database_url the types are kept in memory, not in the
// in-memory store.
func TestLearnBook(t *testing.T) {
	st, err := store.Open(context.Background(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	parse := func(text string) *config.Config {
		c, err := config.Parse("c.json", []byte(text), func(string) (string, bool) { return "", false })
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if b := learnBook(parse(`{"codemode": {"learn_result_types": false}}`), st, nil); b != nil {
		t.Error("learn_result_types false gave a Book")
	}
	b := learnBook(parse(`{}`), st, nil)
	if b == nil {
		t.Fatal("the default gave no Book")
	}
	defer b.Close()
	b.Observe("", "s\x00t", "h", []byte(`{"a":1}`))
	b.Sync()
	b.Flush()
	var rows int
	if err := st.Read().QueryRow(`SELECT COUNT(*) FROM learned`).Scan(&rows); err != nil || rows != 0 {
		t.Errorf("%d rows stored without data_dir (%v)", rows, err)
	}
	if s, _, _ := b.Learned("", "s\x00t", "h"); s == nil {
		t.Error("nothing learned in memory")
	}
}
