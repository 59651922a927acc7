package egress

import _ "embed"

// The binding the shim is built on: the server installs
// sandbox.Binding{Object: BindingObject, Method: BindingMethod, ID: ...}
// and routes that ID to Session.Fetch. The shim takes the object and
// deletes the global before the model's code runs.
const (
	BindingObject = "__codemode_fetch"
	BindingMethod = "request"
)

// Shim is the trusted JavaScript (sandbox.Options.Prelude) that defines
// fetch, Request, Response and Headers, and URL and URLSearchParams, which
// goja lacks, on top of the binding.
//
//go:embed shim.js
var Shim string
