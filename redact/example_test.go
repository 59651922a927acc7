package redact_test

import (
	"fmt"

	"github.com/mcp-codemode/mcp-codemode/redact"
)

// A secret is found however an upstream wrote it: literally, percent-encoded
// in part, as JSON escapes inside JSON, as HTML references.
func Example() {
	r := redact.New([]string{"tok-4f9a/b+c7e2"})
	fmt.Println(r.String("a=tok-4f9a/b+c7e2 b=tok-4f9a%2fb%2Bc7e2 c=tok&#45;4f9a&sol;b&#x2b;c7e2"))
	fmt.Println(string(r.JSON([]byte(`{"inner":"{\"t\":\"tok-4f9a\\/b\\u002Bc7e2\"}"}`))))
	// Output:
	// a=[redacted] b=[redacted] c=[redacted]
	// {"inner":"{\"t\":\"[redacted]\"}"}
}
