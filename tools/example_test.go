package tools_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/mcp-codemode/mcp-codemode/tools"
	"github.com/mcp-codemode/mcp-codemode/workspace"
)

func ExampleRegistry_Call() {
	reg := tools.NewRegistry(tools.Options{Secrets: []string{"hunter2-password"}})
	defer reg.Close()
	type greetIn struct {
		Name string `json:"name" jsonschema:"who to greet"`
	}
	type greetOut struct {
		Greeting string `json:"greeting"`
	}
	greet := tools.MustFunc("demo", "greet", "Greet someone.", func(_ context.Context, in greetIn) (greetOut, error) {
		return greetOut{Greeting: "Hello, " + in.Name + "! The password is hunter2-password."}, nil
	})
	_ = reg.Add(append(workspace.New(nil, workspace.Limits{}).Tools(), greet)...)

	for _, e := range reg.Entries() {
		fmt.Println(e.Path())
	}
	e := reg.Search("say hello to someone", 1)[0]
	out, _ := reg.Call(context.Background(), e.ID, json.RawMessage(`{"name":"Ada"}`))
	fmt.Println(string(out))

	_, err := reg.Call(context.Background(), e.ID, json.RawMessage(`{"name":7}`))
	var aerr *tools.ArgumentError
	fmt.Println(errors.As(err, &aerr), aerr.ErrorName()+":", err)

	ws := lookup(reg, "workspace.read_file")
	_, err = reg.Call(context.Background(), ws.ID, json.RawMessage(`{"path":"../x"}`))
	fmt.Println(err)
	// Output:
	// demo.greet
	// workspace.append_file
	// workspace.delete_file
	// workspace.list_files
	// workspace.mkdir
	// workspace.move_file
	// workspace.read_file
	// workspace.read_json
	// workspace.stat
	// workspace.write_file
	// workspace.write_json
	// {"greeting":"Hello, Ada! The password is [redacted]."}
	// true TypeError: demo.greet: name: expected string, got number
	// path "../x" leaves the workspace: ".." cannot climb above its root
}

func lookup(reg *tools.Registry, path string) tools.Entry {
	for _, e := range reg.Entries() {
		if strings.EqualFold(e.Path(), path) {
			return e
		}
	}
	panic(path)
}
