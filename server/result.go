package server

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-codemode/mcp-codemode/egress"
	"github.com/mcp-codemode/mcp-codemode/sandbox"
)

// structured is the structuredContent of an execute result. Its shape is
// executeOutputSchema's (describe.go), truncated or not: clients such as the
// official TypeScript SDK reject a result that does not match it.
type structured struct {
	Result    any         `json:"result"`
	Logs      []string    `json:"logs"` // never nil: the schema wants an array
	Error     *errorShape `json:"error,omitempty"`
	Truncated bool        `json:"truncated,omitempty"`
	Stats     statsShape  `json:"stats"`
}

type errorShape struct {
	Name    string `json:"name"`
	Message string `json:"message"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
}

type statsShape struct {
	ToolCalls  int             `json:"tool_calls"`
	DurationMS float64         `json:"duration_ms"`
	Fetches    []egress.Record `json:"fetches,omitempty"` // the audit of fetch, when it ran
	RunID      string          `json:"run_id,omitempty"`  // of the run's record (package runs), when runs are recorded
	Truncated  *truncation     `json:"truncated,omitempty"`
}

// truncation says what max_output_bytes cut: the result (or the error's
// text) and the console lines, each as shown against in all.
type truncation struct {
	ResultBytes      int `json:"result_bytes"`
	ResultShownBytes int `json:"result_shown_bytes"`
	LogLines         int `json:"log_lines"`
	LogLinesShown    int `json:"log_lines_shown"`
}

// Format turns a sandbox result into the execute tool's result (README: What the model sees):
// text for the model, structuredContent for programs. Result and logs
// together are kept within maxBytes; what is cut is marked with its size.
// Images and audio in the result are sent as content blocks, up to
// defaultMaxMedia bytes.
func Format(res sandbox.Result, maxBytes int) *mcp.CallToolResult {
	return format(res, nil, maxBytes, 0)
}

// defaultMaxMedia is codemode.max_media_bytes when left zero.
const defaultMaxMedia = 5 << 20

// mediaLimit is codemode.max_media_bytes, or its default when zero.
func mediaLimit(n int) int {
	if n <= 0 {
		return defaultMaxMedia
	}
	return n
}

// format is Format with the run's fetch audit in stats. A result cut to
// maxBytes is null in structuredContent: a prefix of its JSON is no JSON
// value, and sent whole it would take the room the limit keeps. The text
// shows the prefix; stats.truncated the sizes.
//
// Images and audio (objects {type: "image"|"audio", mimeType, data}, at
// any depth) leave the result for content blocks after the text, up to
// maxMedia bytes decoded: base64 counts neither against maxBytes nor as
// text the model reads.
func format(res sandbox.Result, fetches []egress.Record, maxBytes, maxMedia int) *mcp.CallToolResult {
	out := structured{
		Logs:  res.Logs,
		Stats: statsShape{ToolCalls: res.Stats.ToolCalls, DurationMS: float64(res.Stats.Duration.Microseconds()) / 1000, Fetches: fetches},
	}
	if out.Logs == nil {
		out.Logs = []string{}
	}
	var head string
	var size int
	var media []mcp.Content
	if res.Err != nil {
		out.Error = &errorShape{Name: res.Err.Name, Message: res.Err.Message, Line: res.Err.Line, Column: res.Err.Column}
		head = errorText(res.Err)
		size = len(head)
	} else {
		value, m := takeMedia(res.Value, maxMedia)
		media = m
		head, size = prettyHead(value, maxBytes)
		out.Result = value
	}
	f := fitSized(head, size, out.Logs, maxBytes)
	if f.cut != nil {
		out.Truncated, out.Stats.Truncated, out.Logs = true, f.cut, f.logs
		if f.cut.ResultShownBytes < f.cut.ResultBytes {
			out.Result = nil
			if out.Error != nil {
				out.Error.Message = truncate(out.Error.Message, f.cut.ResultShownBytes, "message").text
			}
		}
	}
	text := f.head
	if len(f.logs) > 0 {
		text += "\n\nConsole output:\n" + strings.Join(f.logs, "\n")
	}
	return &mcp.CallToolResult{
		Content:           append([]mcp.Content{mcp.NewTextContent(text)}, media...),
		StructuredContent: out,
		IsError:           res.Err != nil,
	}
}

// withRunID puts the id of the run's record in an execute result's stats.
func withRunID(res *mcp.CallToolResult, id string) *mcp.CallToolResult {
	if st, ok := res.StructuredContent.(structured); ok && id != "" {
		st.Stats.RunID = id
		res.StructuredContent = st
	}
	return res
}

// errorText is "Name: message" and, when known, where in the model's code.
func errorText(e *sandbox.Error) string {
	s := e.Name + ": " + e.Message
	if e.Line > 0 {
		s += fmt.Sprintf("\n    at line %d, column %d of your code", e.Line, e.Column)
	}
	return s
}

func prettyJSON(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "null"
	}
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		return string(raw)
	}
	return b.String()
}

// prettyHead is prettyJSON(raw) when it takes at most limit bytes; else
// its first limit+1 bytes, all that fit can show of it, with the size of
// the whole. Indenting all of a 1 MB result to show 24 KB of it took 7%
// of the execute call (issue 18).
func prettyHead(raw json.RawMessage, limit int) (string, int) {
	if len(raw) <= limit/2 || !json.Valid(raw) {
		s := prettyJSON(raw)
		return s, len(s)
	}
	w := indenter{limit: limit + 1}
	w.indent(raw)
	if w.size <= limit {
		return prettyJSON(raw), w.size
	}
	return string(w.out), w.size
}

// indenter writes valid JSON as json.Indent(dst, src, "", "  ") does,
// keeping the first limit bytes and counting the rest.
type indenter struct {
	out   []byte
	limit int
	size  int
}

func (w *indenter) byte(c byte) {
	if w.size < w.limit {
		w.out = append(w.out, c)
	}
	w.size++
}

func (w *indenter) newline(depth int) {
	w.byte('\n')
	for range 2 * depth {
		w.byte(' ')
	}
}

// indent writes src, valid JSON: white space between tokens is dropped,
// after the value kept; each element on a line of its own; an empty
// object or array stays {} or [].
func (w *indenter) indent(src []byte) {
	depth, nest, needIndent, inString, escaped := 0, 0, false, false, false
	for _, c := range src {
		if inString {
			w.byte(c)
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			if nest == 0 && w.size > 0 {
				w.byte(c)
			}
			continue
		}
		if needIndent && c != '}' && c != ']' {
			needIndent = false
			depth++
			w.newline(depth)
		}
		switch c {
		case '"':
			inString = true
			w.byte(c)
		case '{', '[':
			nest++
			needIndent = true
			w.byte(c)
		case ',':
			w.byte(c)
			w.newline(depth)
		case ':':
			w.byte(c)
			w.byte(' ')
		case '}', ']':
			nest--
			if needIndent {
				needIndent = false
			} else {
				depth--
				w.newline(depth)
			}
			w.byte(c)
		default:
			w.byte(c)
		}
	}
}

// fitted is what fitSized kept: the head and log lines to show, and what
// was cut (nil when nothing was).
type fitted struct {
	head string
	logs []string
	cut  *truncation
}

// fitSized cuts a head of size bytes and logs so that together they take at
// most max bytes. The head (result or error) gets priority, but logs keep
// at least a quarter of the room when there are any. head may hold only its
// first max+1 bytes when size is larger than max (prettyHead).
func fitSized(head string, size int, logs []string, max int) fitted {
	logSize := 0
	for _, l := range logs {
		logSize += len(l) + 1
	}
	if size+logSize <= max {
		return fitted{head: head, logs: logs}
	}
	cut := &truncation{ResultBytes: size, ResultShownBytes: size, LogLines: len(logs)}
	shown := head
	if headRoom := max - min(logSize, max/4); size > headRoom {
		t := truncateSized(head, size, headRoom, "result")
		shown, cut.ResultShownBytes = t.text, t.kept
	}
	kept, n := cutLogs(logs, max-len(shown))
	cut.LogLinesShown = n
	return fitted{head: shown, logs: kept, cut: cut}
}

// truncated is a string cut by truncate: its text with the marker, and how
// many bytes of the original it kept.
type truncated struct {
	text string
	kept int
}

// truncate keeps the first n bytes of s (on a rune boundary), marker
// included, and says how large s was.
func truncate(s string, n int, what string) truncated {
	return truncateSized(s, len(s), n, what)
}

// truncateSized is truncate of a text of size bytes of which s holds at
// least the first n+1.
func truncateSized(s string, size, n int, what string) truncated {
	marker := fmt.Sprintf("\n… [%s truncated: %d bytes in total, limit %d]", what, size, n)
	keep := max(n-len(marker), 0)
	for keep > 0 && keep < size && !utf8Start(s[keep]) {
		keep--
	}
	return truncated{text: s[:keep] + marker, kept: keep}
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// cutLogs keeps the lines that fit in room, then a line saying what was
// left out; it returns them and how many of logs it kept.
func cutLogs(logs []string, room int) ([]string, int) {
	total := 0
	for _, l := range logs {
		total += len(l) + 1
	}
	out := []string{}
	used := 0
	for i, l := range logs {
		if used+len(l)+1 > room-80 {
			return append(out, fmt.Sprintf("… [console output truncated: %d more lines, %d bytes in total]", len(logs)-i, total)), i
		}
		out = append(out, l)
		used += len(l) + 1
	}
	return out, len(logs)
}

// takeMedia replaces every image or audio object of a result by
// {type, mimeType, bytes} and returns the objects as content blocks, in
// the order they appear, while their decoded sizes stay within maxMedia
// bytes in all; those past it stay out of both, marked omitted. A result
// without any, or of more than maxMediaObjects objects, is returned as it
// is (key order kept).
func takeMedia(raw json.RawMessage, maxMedia int) (json.RawMessage, []mcp.Content) {
	maxMedia = mediaLimit(maxMedia)
	if !bytes.Contains(raw, []byte(`"mimeType"`)) || bytes.Count(raw, []byte("{")) > maxMediaObjects {
		return raw, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return raw, nil
	}
	m := &mediaTaker{room: maxMedia, max: maxMedia}
	v = m.walk(v)
	if m.found == 0 {
		return raw, nil
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if enc.Encode(v) != nil {
		return raw, nil
	}
	return bytes.TrimRight(b.Bytes(), "\n"), m.content
}

// maxMediaBlocks bounds the content blocks of one result, whatever their
// size: 100,000 empty images fit in the result-size cap. maxMediaObjects
// bounds the objects of a result takeMedia decodes (in the server, for
// the script): one of 8 MB of small objects would take ten times that as
// Go maps; such a result is left as it is, its text cut as any other.
const (
	maxMediaBlocks  = 100
	maxMediaObjects = 10_000
)

// mediaTaker walks a decoded result for takeMedia.
type mediaTaker struct {
	room, max int
	found     int
	content   []mcp.Content
}

func (m *mediaTaker) walk(v any) any {
	switch v := v.(type) {
	case []any:
		for i := range v {
			v[i] = m.walk(v[i])
		}
	case map[string]any:
		if r, ok := m.take(v); ok {
			return r
		}
		for _, k := range slices.Sorted(maps.Keys(v)) { // the order the JSON shows them
			v[k] = m.walk(v[k])
		}
	}
	return v
}

// take replaces one media object, or reports that o is none.
func (m *mediaTaker) take(o map[string]any) (map[string]any, bool) {
	kind, _ := o["type"].(string)
	mime, _ := o["mimeType"].(string)
	data, ok := o["data"].(string)
	if kind != "image" && kind != "audio" || mime == "" || !ok {
		return nil, false
	}
	m.found++
	size := base64.StdEncoding.DecodedLen(len(data)) - strings.Count(data[max(len(data)-2, 0):], "=")
	out := map[string]any{"type": kind, "mimeType": mime, "bytes": size}
	switch {
	case size > m.room:
		out["omitted"] = fmt.Sprintf("the %s is not sent: the images and audio of one result are limited to "+
			"%d bytes in all (codemode.max_media_bytes), %d were left", kind, m.max, m.room)
		return out, true
	case len(m.content) == maxMediaBlocks:
		out["omitted"] = fmt.Sprintf("the %s is not sent: one result sends at most %d images and audio", kind, maxMediaBlocks)
		return out, true
	}
	m.room -= size
	if kind == "image" {
		m.content = append(m.content, mcp.NewImageContent(data, mime))
	} else {
		m.content = append(m.content, mcp.NewAudioContent(data, mime))
	}
	return out, true
}
