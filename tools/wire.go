package tools

// An upstream's tools/call result is decoded here once, from the bytes the
// transport read. mcp-go's client decodes a result with
// mcp.ParseCallToolResult: the whole result read four times and copied
// three, each text item unquoted, and structuredContent decoded into a map
// nobody reads; unwrap then encoded a text back into a JSON string for the
// sandbox to decode again. For a 10 MB text that was 47% of the server's
// CPU and 60 MB of garbage per call (issue 18).
//
// rawResults is the transport as the client sees it. A tools/call whose
// context carries a rawSlot (upstream.callOnce) has its result decoded by
// decodeResult, kept in the slot, and the client is handed an empty result
// to decode instead. decodeResult slices the result without copying it: a
// text item stays the JSON string it was sent as (rawText), decoded only
// when something needs the text; structuredContent stays its bytes. What
// it does not take as mcp-go would, it leaves to mcp-go: a result that is
// an error, asks for input (SEP-2322), lacks content, or has anything
// unusual goes to the client as it came and is decoded as before.

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-codemode/mcp-codemode/internal/jsontext"
)

// rawResults wraps an upstream's transport (see above). Over stdio, lines
// is the upstream's stdout, which diverts a large result to the call
// before mcp-go's transport reads it (lineLimiter.divert).
type rawResults struct {
	transport.Interface
	lines *lineLimiter
}

// SetRequestHandler passes on the handler of the server's own requests
// (ping, roots, elicitation) when the transport takes them.
func (t rawResults) SetRequestHandler(h transport.RequestHandler) {
	if b, ok := t.Interface.(transport.BidirectionalInterface); ok {
		b.SetRequestHandler(h)
	}
}

// rawSlot receives the result of the tools/call made with it in the context.
type rawSlot struct {
	res *mcp.CallToolResult
}

type rawSlotKey struct{}

// withRawSlot returns ctx carrying a new slot for a tools/call's result.
func withRawSlot(ctx context.Context) (context.Context, *rawSlot) {
	s := &rawSlot{}
	return context.WithValue(ctx, rawSlotKey{}, s), s
}

// emptyResult is what the client decodes in place of a result kept in a
// slot.
var emptyResult = json.RawMessage(`{"content":[]}`)

// SendRequest sends req; a tools/call's result goes to the context's slot
// when decodeResult takes it.
func (t rawResults) SendRequest(ctx context.Context, req transport.JSONRPCRequest) (*transport.JSONRPCResponse, error) {
	slot, _ := ctx.Value(rawSlotKey{}).(*rawSlot)
	if slot == nil || req.Method != string(mcp.MethodToolsCall) {
		return t.Interface.SendRequest(ctx, req)
	}
	resp, diverted, err := t.send(ctx, req)
	if err != nil || resp == nil || resp.Error != nil {
		return resp, err
	}
	out := *resp
	if diverted != nil {
		out.Result = diverted
	}
	res, ok := decodeResult(out.Result)
	if !ok {
		return &out, nil
	}
	slot.res = res
	out.Result = emptyResult
	return &out, nil
}

// send sends req, and returns the result the upstream's stdout diverted
// to it, if any.
func (t rawResults) send(ctx context.Context, req transport.JSONRPCRequest) (_ *transport.JSONRPCResponse, diverted []byte, _ error) {
	if t.lines == nil {
		resp, err := t.Interface.SendRequest(ctx, req)
		return resp, nil, err
	}
	id := req.ID.String()
	t.lines.await(id)
	defer func() { diverted = t.lines.forget(id) }()
	resp, err := t.Interface.SendRequest(ctx, req)
	return resp, nil, err
}

// decodeResult decodes a tools/call result as mcp.ParseCallToolResult
// does, but for its text items (rawText) and structuredContent, which stay
// slices of raw. ok is false where mcp-go must decide (see above). raw is
// valid JSON: the transport decoded the message holding it, or the
// lineLimiter checked it before diverting it.
func decodeResult(raw json.RawMessage) (_ *mcp.CallToolResult, ok bool) {
	res := &mcp.CallToolResult{}
	var content json.RawMessage
	s := wireScan{b: raw}
	ok = s.object(func(key string, v []byte) bool {
		switch key {
		case "content":
			content = v
		case "structuredContent":
			res.RawStructuredContent = v
		case "_meta":
			return json.Unmarshal(v, &res.Meta) == nil
		case "isError":
			return string(v) == "false"
		default:
			return !knownKey(key, "content", "structuredContent", "_meta", "isError", "resultType", "inputRequests", "requestState")
		}
		return true
	})
	if !ok || content == nil && !hasValue(res.RawStructuredContent) {
		return nil, false
	}
	if content != nil {
		if res.Content, ok = decodeContent(content); !ok {
			return nil, false
		}
	}
	return res, true
}

// hasValue says whether v is present and not null.
func hasValue(v []byte) bool { return len(v) > 0 && string(v) != "null" }

// knownKey says whether key is one of names in another case: encoding/json
// matches keys case-insensitively, so only mcp-go can tell what it makes
// of it. An exact name reaches here only when decodeResult leaves it to
// mcp-go.
func knownKey(key string, names ...string) bool {
	for _, n := range names {
		if strings.EqualFold(key, n) {
			return true
		}
	}
	return false
}

// decodeContent decodes a content array: text items as rawText, others as
// mcp-go does.
func decodeContent(raw []byte) ([]mcp.Content, bool) {
	out := []mcp.Content{}
	s := wireScan{b: raw}
	ok := s.array(func(item []byte) bool {
		c, ok := decodeItem(item)
		out = append(out, c)
		return ok
	})
	return out, ok
}

// decodeItem decodes one content item.
func decodeItem(item []byte) (mcp.Content, bool) {
	var t rawText
	typ, other := "", false
	s := wireScan{b: item}
	ok := s.object(func(key string, v []byte) bool {
		switch key {
		case "type":
			typ = string(v)
		case "text":
			t.lit = v
		case "annotations":
			return json.Unmarshal(v, &t.Annotations) == nil
		case "_meta":
			return json.Unmarshal(v, &t.Meta) == nil
		default:
			other = other || knownKey(key, "type", "text", "annotations", "_meta")
		}
		return true
	})
	if !ok || other || typ != `"text"` || t.lit == nil || t.lit[0] != '"' {
		c, err := mcp.UnmarshalContent(item)
		return c, err == nil && !isRawCandidate(c)
	}
	t.Type = mcp.ContentTypeText
	return t, true
}

// isRawCandidate says whether c is a text item mcp-go decoded only because
// decodeItem could not: left to mcp-go too, the whole result.
func isRawCandidate(c mcp.Content) bool {
	_, ok := c.(mcp.TextContent)
	return ok
}

// rawText is a text item of an upstream's result whose text is still the
// JSON string it was sent as (lit); Text is empty until decoded.
type rawText struct {
	mcp.TextContent
	lit []byte
}

// decoded is the item as mcp-go decodes it.
func (t rawText) decoded() mcp.TextContent {
	c := t.TextContent
	c.Text = jsontext.Unquote(t.lit[1 : len(t.lit)-1]) // lit is a valid JSON string (decodeItem)
	return c
}

// MarshalJSON writes the item as mcp.TextContent does.
func (t rawText) MarshalJSON() ([]byte, error) { return json.Marshal(t.decoded()) }

// singleTextValue is the value of a result whose content is one text item
// as it came (rawText), from its JSON string: the string itself when the
// text cannot start a JSON value, without decoding and encoding it again;
// else the text decoded once. Either is what textValue makes of the text.
func singleTextValue(content []mcp.Content) (json.RawMessage, bool) {
	if len(content) != 1 {
		return nil, false
	}
	t, ok := content[0].(rawText)
	if !ok {
		return nil, false
	}
	if v, ok := t.literal(); ok {
		return v, true
	}
	return textBytesValue(jsontext.AppendUnquote(nil, t.lit[1:len(t.lit)-1])), true
}

// literal is the item's JSON string when the text cannot start a JSON
// value and the string is written exactly as jsonString would write the
// text, so that the value is the same bytes either way.
func (t rawText) literal() (json.RawMessage, bool) {
	if len(t.lit) < 3 {
		return nil, false
	}
	c := t.lit[1] // the text's first byte, when it is not an escape
	if c == '\\' || c == ' ' || c >= utf8.RuneSelf || mayStartJSON(c) {
		return nil, false // it may start JSON after the white space TrimSpace removes
	}
	return t.lit, canonicalString(t.lit)
}

// textBytesValue is textValue of text.
func textBytesValue(text []byte) json.RawMessage {
	trimmed := bytes.TrimSpace(text)
	if len(trimmed) > 0 && mayStartJSON(trimmed[0]) && json.Valid(trimmed) {
		return trimmed
	}
	return jsonString(string(text))
}

// canonicalString says whether lit, a valid JSON string, is written as
// encoding/json writes its value without HTML escaping: valid UTF-8, no
// U+2028 or U+2029 as they are, and only the escapes it uses (\" \\ \n \r
// \t \b \f, and \u00XX for the other control characters).
func canonicalString(lit []byte) bool {
	if !utf8.Valid(lit) || bytes.Contains(lit, []byte("\u2028")) || bytes.Contains(lit, []byte("\u2029")) {
		return false
	}
	body := lit[1 : len(lit)-1]
	for {
		i := bytes.IndexByte(body, '\\')
		if i < 0 {
			return true
		}
		body = body[i+1:]
		if len(body) == 0 {
			return false
		}
		switch body[0] {
		case '"', '\\', 'n', 'r', 't', 'b', 'f':
			body = body[1:]
		case 'u':
			if len(body) < 5 || !canonicalU(body[1:5]) {
				return false
			}
			body = body[5:]
		default:
			return false
		}
	}
}

// canonicalU says whether \uXXXX (hex) is how encoding/json writes its
// character: a control character without a short escape, in lower case.
func canonicalU(hex []byte) bool {
	if len(hex) != 4 || string(hex[:2]) != "00" || hex[2] != '0' && hex[2] != '1' || !isLowerHex(hex[3]) {
		return false
	}
	switch string(hex[2:]) {
	case "08", "09", "0a", "0c", "0d":
		return false
	}
	return true
}

func isLowerHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' }

// wireScan walks valid JSON, slicing values without decoding them. On
// anything else it reports false rather than panic.
type wireScan struct {
	b []byte
	i int
}

// object calls f with each key (decoded) and value of the object at s.i;
// false from f stops it with false.
func (s *wireScan) object(f func(key string, v []byte) bool) bool {
	if !s.expect('{') {
		return false
	}
	if s.space(); s.peek() == '}' {
		s.i++
		return true
	}
	for {
		s.space()
		k, ok := s.value()
		if !ok || k[0] != '"' {
			return false
		}
		var key string
		if json.Unmarshal(k, &key) != nil || !s.expect(':') {
			return false
		}
		s.space()
		v, ok := s.value()
		if !ok || !f(key, v) {
			return false
		}
		if s.space(); s.peek() == '}' {
			s.i++
			return true
		}
		if !s.expect(',') {
			return false
		}
	}
}

// array calls f with each element of the array at s.i.
func (s *wireScan) array(f func(v []byte) bool) bool {
	if !s.expect('[') {
		return false
	}
	if s.space(); s.peek() == ']' {
		s.i++
		return true
	}
	for {
		s.space()
		v, ok := s.value()
		if !ok || !f(v) {
			return false
		}
		if s.space(); s.peek() == ']' {
			s.i++
			return true
		}
		if !s.expect(',') {
			return false
		}
	}
}

// value returns the value at s.i and moves past it.
func (s *wireScan) value() ([]byte, bool) {
	start := s.i
	switch s.peek() {
	case '"':
		ok := s.skipString()
		return s.b[start:s.i], ok
	case '{', '[':
		return s.composite()
	}
	for s.i < len(s.b) && !isDelimiter(s.b[s.i]) { // a number or a literal
		s.i++
	}
	return s.b[start:s.i], s.i > start
}

// composite moves past the object or array at s.i.
func (s *wireScan) composite() ([]byte, bool) {
	start, depth := s.i, 0
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case '"':
			if !s.skipString() {
				return nil, false
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			if depth--; depth == 0 {
				s.i++
				return s.b[start:s.i], true
			}
		}
		s.i++
	}
	return nil, false
}

func isDelimiter(c byte) bool {
	switch c {
	case ',', '}', ']', ':', ' ', '\t', '\n', '\r':
		return true
	}
	return false
}

// skipString moves past the string at s.i.
func (s *wireScan) skipString() bool {
	j := s.i + 1
	for {
		k := bytes.IndexByte(s.b[j:], '"')
		if k < 0 {
			return false
		}
		j += k
		bs := 0
		for bs < j && s.b[j-1-bs] == '\\' {
			bs++
		}
		j++
		if bs%2 == 0 {
			s.i = j
			return true
		}
	}
}

func (s *wireScan) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *wireScan) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *wireScan) expect(c byte) bool {
	if s.space(); s.peek() != c {
		return false
	}
	s.i++
	return true
}

// responseParts returns the id and result of a JSON-RPC response with a
// result (the id as mcp-go's transport keys its calls); ok is false for
// anything else, or a key mcp-go could read in another case.
func responseParts(line []byte) (id string, idRaw, result []byte, ok bool) {
	other := false
	s := wireScan{b: line}
	ok = s.object(func(key string, v []byte) bool {
		switch key {
		case "id":
			idRaw = v
		case "result":
			result = v
		case "method", "error":
			other = true
		case "jsonrpc":
		default:
			other = other || knownKey(key, "id", "result", "method", "error", "jsonrpc")
		}
		return true
	})
	var rid mcp.RequestId
	if !ok || other || idRaw == nil || result == nil || json.Unmarshal(idRaw, &rid) != nil {
		return "", nil, nil, false
	}
	return rid.String(), idRaw, result, true
}
