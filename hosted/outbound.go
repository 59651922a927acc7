package hosted

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/mcp-codemode/mcp-codemode/tools"
)

// outbound tracks the requests this replica sends its clients on their
// streams (mcp-go's elicitation/create), under ids of its own.
//
// mcp-go numbers a server's requests 1, 2, 3 … on each replica, so two
// replicas serving one session would both send it a request 1, and the
// client's answer could not say which it answers. On their way out the
// ids become "codemode-REPLICA-N": unique across replicas, and naming the
// one whose mcp-go waits for the answer. An answer is handed back under
// mcp-go's own id, only for the subject and session the request went to.
type outbound struct {
	replica string
	prefix  string // `"codemode-REPLICA-`

	mu   sync.Mutex
	sent map[string]json.RawMessage // subject, session, our id → mcp-go's id
}

func newOutbound(replica string) *outbound {
	return &outbound{replica: replica, prefix: `"codemode-` + replica + `-`, sent: map[string]json.RawMessage{}}
}

// stream is what outbound sent on one stream: forgotten when it ends (by
// then mcp-go no longer waits for those answers).
type stream struct {
	o                *outbound
	subject, session string
	mu               sync.Mutex
	keys             []string
}

func (o *outbound) stream(r *http.Request) *stream {
	return &stream{o: o, subject: subjectOf(r), session: r.Header.Get(mcpserver.HeaderKeySessionID)}
}

func answerKey(subject, session, id string) string { return subject + "\x00" + session + "\x00" + id }

var eventHead = []byte("event: message\ndata: ")

// rewrite gives a server request in an SSE event written by mcp-go an id
// of this replica's, and records it; any other write is returned as it is.
func (st *stream) rewrite(b []byte) []byte {
	if st == nil || !bytes.HasPrefix(b, eventHead) {
		return b
	}
	data := bytes.TrimRight(b[len(eventHead):], "\n")
	var msg map[string]json.RawMessage
	if json.Unmarshal(data, &msg) != nil || len(msg["method"]) == 0 || len(msg["id"]) == 0 {
		return b
	}
	theirs := msg["id"]
	ours := fmt.Sprintf(`%s%s"`, st.o.prefix, strings.Trim(string(theirs), `"`))
	msg["id"] = json.RawMessage(ours)
	out, err := json.Marshal(msg)
	if err != nil {
		return b
	}
	key := answerKey(st.subject, st.session, ours)
	st.o.mu.Lock()
	st.o.sent[key] = theirs
	st.o.mu.Unlock()
	st.mu.Lock()
	st.keys = append(st.keys, key)
	st.mu.Unlock()
	return append(append(append([]byte{}, eventHead...), out...), "\n\n"...)
}

// end forgets what the stream sent.
func (st *stream) end() {
	if st == nil {
		return
	}
	st.mu.Lock()
	keys := st.keys
	st.keys = nil
	st.mu.Unlock()
	st.o.mu.Lock()
	defer st.o.mu.Unlock()
	for _, k := range keys {
		delete(st.o.sent, k)
	}
}

// owner is the replica an answer's id names, if it is one of ours.
func (o *outbound) owner(id string) (string, bool) {
	rest, ok := strings.CutPrefix(id, `"codemode-`)
	if !ok {
		return "", false
	}
	replica, _, ok := strings.Cut(rest, "-")
	return replica, ok
}

// take returns mcp-go's id of the request our id names, sent to subject's
// session; it answers once.
func (o *outbound) take(subject, session, id string) (json.RawMessage, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	key := answerKey(subject, session, id)
	theirs, ok := o.sent[key]
	delete(o.sent, key)
	return theirs, ok
}

// answer serves a client's response to a server request: handed to mcp-go
// here when this replica sent the request, else published to the replica
// that did (202 at once: the client expects nothing back).
func (rep *replicas) answer(w http.ResponseWriter, r *http.Request, m message) {
	owner, ours := rep.out.owner(m.id)
	switch {
	case !ours:
		rep.h.mcp.ServeHTTP(w, r)
	case owner == rep.id:
		if !rep.deliver(r.Context(), subjectOf(r), r.Header.Get(mcpserver.HeaderKeySessionID), m.id, m.raw, w) {
			w.WriteHeader(http.StatusAccepted) // it came too late: the request ended
		}
	default:
		rep.publish(r.Context(), chanAnswer, forwarded{To: owner, Subject: subjectOf(r),
			Session: r.Header.Get(mcpserver.HeaderKeySessionID), ID: m.id, Body: m.raw})
		w.WriteHeader(http.StatusAccepted)
	}
}

// deliver hands mcp-go a response to the request it sent as id to
// subject's session, as if the client had posted it here.
func (rep *replicas) deliver(ctx context.Context, subject, session, id string, body []byte, w http.ResponseWriter) bool {
	theirs, ok := rep.out.take(subject, session, id)
	if !ok {
		return false
	}
	var msg map[string]json.RawMessage
	if json.Unmarshal(body, &msg) != nil {
		return false
	}
	msg["id"] = theirs
	b, err := json.Marshal(msg)
	if err != nil {
		return false
	}
	ctx = tools.WithSubject(context.WithoutCancel(ctx), subject)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "/mcp", bytes.NewReader(b))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(mcpserver.HeaderKeySessionID, session)
	if v := rep.h.sessions.version(session, subject); v != "" {
		req.Header.Set(mcp.HeaderProtocolVersion, v)
	}
	rep.h.mcp.ServeHTTP(w, req)
	return true
}

// discard is the ResponseWriter of a request this package makes to
// mcp-go on a client's behalf: nobody reads the answer.
type discard struct {
	header http.Header
	status int
}

func (d *discard) Header() http.Header         { return d.header }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(code int)        { d.status = code }
