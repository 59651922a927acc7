package egress

import (
	"fmt"

	"github.com/mcp-codemode/mcp-codemode/sandbox"
)

// Error is a refused or failed request, written for the model. Name is the
// JavaScript error the script sees: TypeError for what fetch in a browser
// would reject (a URL or host the policy does not allow, a network failure),
// RangeError for a per-execution limit, TimeoutError for the per-request
// timeout (the sandbox's Name constants).
type Error struct {
	Name string
	Msg  string
}

func (e *Error) Error() string     { return e.Msg }
func (e *Error) ErrorName() string { return e.Name }

func typeError(format string, args ...any) *Error {
	return &Error{Name: sandbox.NameType, Msg: "fetch: " + fmt.Sprintf(format, args...)}
}

func rangeError(format string, args ...any) *Error {
	return &Error{Name: sandbox.NameRange, Msg: "fetch: " + fmt.Sprintf(format, args...)}
}

func timeoutError(format string, args ...any) *Error {
	return &Error{Name: sandbox.NameTimeout, Msg: "fetch: " + fmt.Sprintf(format, args...)}
}

// denied says why the policy refuses a request to target.
func denied(method string, t *target, reason string) *Error {
	return typeError("%s %s is not allowed: %s", method, t, reason)
}
