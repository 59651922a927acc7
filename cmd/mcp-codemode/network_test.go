package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// echoServerCmd is the testscript command "echoserver FILE...": it starts
// an HTTP server on 127.0.0.1 that answers with the request's method, path
// and headers as JSON, and writes its port in place of ECHO_PORT in each
// FILE (a configuration's ports cannot come from the environment).
func echoServerCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: echoserver FILE...")
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"method": r.Method, "path": r.URL.Path, "headers": r.Header})
	}))
	ts.Defer(srv.Close)
	port := srv.URL[strings.LastIndexByte(srv.URL, ':')+1:]
	if _, err := strconv.Atoi(port); err != nil {
		ts.Fatalf("echoserver: %s", srv.URL)
	}
	for _, name := range args {
		data, err := os.ReadFile(ts.MkAbs(name))
		ts.Check(err)
		ts.Check(os.WriteFile(ts.MkAbs(name), []byte(strings.ReplaceAll(string(data), "ECHO_PORT", port)), 0o644))
	}
}
