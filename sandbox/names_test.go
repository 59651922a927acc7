package sandbox

import (
	"context"
	"encoding/json"
	"testing"
)

// TestNewError: a Caller's error made by NewError rejects the call with an
// error of that name and message: an instance of the built-in constructor
// for a built-in name, an Error with its name set for the project's own.
func TestNewError(t *testing.T) {
	tests := []struct{ name, want string }{
		{NameType, `["TypeError","bad shape",true]`},
		{NameRange, `["RangeError","bad shape",true]`},
		{NameTool, `["ToolError","bad shape",false]`},
		{NameApproval, `["ApprovalError","bad shape",false]`},
	}
	for _, tt := range tests {
		caller := CallerFunc(func(context.Context, string, json.RawMessage) (json.RawMessage, error) {
			return nil, NewError(tt.name, "bad shape")
		})
		opts := Options{Bindings: []Binding{{Object: "t", Method: "m", ID: "m"}}}
		code := "try { await t.m() } catch (e) { return [e.name, e.message, e.constructor !== Error && e instanceof Error] }"
		if res := Run(context.Background(), code, caller, opts); res.Err != nil || string(res.Value) != tt.want {
			t.Errorf("NewError(%s): %s, %v; want %s", tt.name, res.Value, res.Err, tt.want)
		}
	}
}
