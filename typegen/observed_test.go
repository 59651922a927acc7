package typegen

import (
	"encoding/json"
	"testing"
)

func TestObserved(t *testing.T) {
	out := json.RawMessage(`{"type":"object","properties":{"id":{"type":"number"}},"required":["id"]}`)
	for _, tc := range []struct {
		tool Tool
		want string
	}{
		{Tool{Name: "get", Description: "Get it", OutputSchema: out, Observed: 3},
			"/** Get it @returns observed in 3 results, not declared by the server */\nget(args?: {}): Promise<{ id: number }>;\n"},
		{Tool{Name: "get", OutputSchema: out, Observed: 1},
			"/** @returns observed in 1 result, not declared by the server */\nget(args?: {}): Promise<{ id: number }>;\n"},
		{Tool{Name: "get", OutputSchema: out},
			"get(args?: {}): Promise<{ id: number }>;\n"},
		{Tool{Name: "get", Observed: 3}, "get(args?: {}): Promise<unknown>;\n"},
	} {
		got := Declarations([]Namespace{{Name: "n", Tools: []Tool{tc.tool}}}, Options{})
		if want := "declare const n: {\n" + tc.want + "};\n"; got != want {
			t.Errorf("got\n%s\nwant\n%s", got, want)
		}
	}
}
