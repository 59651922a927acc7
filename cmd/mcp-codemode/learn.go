package main

import (
	"log/slog"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/learn"
	"github.com/mcp-codemode/mcp-codemode/store"
)

// learnBook keeps the result types learned from tools' results (README: Learned result types):
// in st when the configuration names a database (data_dir or
// database_url), else in memory; nil with learn_result_types false.
func learnBook(cfg *config.Config, st *store.Store, log *slog.Logger) *learn.Book {
	if !cfg.Codemode.LearnsResultTypes() {
		return nil
	}
	o := learn.BookOptions{Logger: log}
	if cfg.Codemode.DataDir != "" || cfg.Codemode.DatabaseURL != "" {
		o.Store = st
	}
	return learn.NewBook(o)
}
