package runs

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// Kinds of calls.
const (
	KindTool     = "tool"     // a tool of the registry: upstream or built-in
	KindFetch    = "fetch"    // fetch(), one request of the network policy
	KindSnippet  = "snippet"  // codemode.run(name): a saved snippet's run
	KindCodemode = "codemode" // codemode.search, describe, save
)

// Record is one execution.
type Record struct {
	ID          string
	Subject     string // "" on stdio
	Start, End  time.Time
	Code        string // as run, secrets redacted
	Calls       []Call // in the order they were made
	ResultBytes int    // of the result's JSON
	Outcome     string // server.Outcome: ok, error, timeout, cancelled, …
	ErrorName   string
	ErrorMsg    string // secrets redacted
	TraceID     string // of the execution's span, when traced
	// CallCount is len(Calls), also for records listed without them.
	CallCount int
}

// Duration is how long the execution took.
func (r *Record) Duration() time.Duration { return r.End.Sub(r.Start) }

// size is about what the record takes in memory.
func (r *Record) size() int {
	n := 256 + len(r.Code) + len(r.ErrorMsg) + len(r.Subject)
	for _, c := range r.Calls {
		n += 128 + len(c.Name) + len(c.Result)
	}
	return n
}

// Call is one call an execution made.
type Call struct {
	Ordinal    int    // 1, 2, …: the order the script made the calls in
	Kind       string // KindTool, KindFetch, KindSnippet or KindCodemode
	Name       string // "ns.tool", "GET https://host/path", the snippet's name, "codemode.search"
	ArgsBytes  int
	ArgsSHA256 string        // hex digest of the arguments' JSON
	Outcome    string        // "ok", "tool_error", "invalid_arguments", "upstream_error", "cancelled", "error"
	ErrorName  string        // the JS error name the script saw, when not ok
	Start      time.Duration // from the start of the execution
	Duration   time.Duration
	// Result is not stored yet: the column exists so that a resumed run
	// can be answered from the record (issue 15, approvals by replay).
	Result json.RawMessage
}

// ErrNotFound is returned by Backend.Get for an unknown id.
var ErrNotFound = errors.New("no run with this id")

// Query selects the records List returns: newest first.
type Query struct {
	Limit   int    // 0: 50
	Subject string // "": every subject
}

// Backend keeps records. Insert is called from the Recorder's writer only;
// the others from anywhere.
type Backend interface {
	// Insert stores records, all or none.
	Insert(ctx context.Context, recs []*Record) error
	// List returns records without their calls (CallCount says how many).
	List(ctx context.Context, q Query) ([]*Record, error)
	// Get returns one record with its calls, or ErrNotFound.
	Get(ctx context.Context, id string) (*Record, error)
	// Prune deletes at most limit records that started before t, oldest
	// first, and says how many it deleted.
	Prune(ctx context.Context, before time.Time, limit int) (int, error)
}

// idEncoding is base32 with the extended hex alphabet, which sorts as the
// bytes it encodes.
var idEncoding = base32.HexEncoding.WithPadding(base32.NoPadding)

// NewID returns a new run id: 16 bytes, 26 characters of lowercase base32,
// safe in a URL and a file name. The first 6 bytes are the time in Unix
// milliseconds and the other 10 random (as a UUIDv7's), so that ids sort by
// time: each new record goes at the end of the tables' primary key indexes,
// where a random id would land on a page anywhere in them (a batch of 100
// records took 4.5 ms at 30,000 records and 6.9 ms at 150,000, and grew
// with the table).
func NewID() string {
	var b [16]byte
	ms := uint64(time.Now().UnixMilli())
	for i := range 6 {
		b[i] = byte(ms >> (40 - 8*i))
	}
	_, _ = rand.Read(b[6:]) // never fails (crypto/rand)
	return strings.ToLower(idEncoding.EncodeToString(b[:]))
}

// Digest is the hex SHA-256 of b: how a record names a call's arguments
// (and the replay journal of a paused run, server/replay.go, its calls').
func Digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
