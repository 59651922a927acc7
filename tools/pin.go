package tools

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/mcp-codemode/mcp-codemode/store"
)

// Tool-definition pinning guards against an upstream changing what a tool
// says it does after the user started trusting it (a "rug pull"): the first
// definition seen of each upstream tool is its pin; a later, different
// definition is logged, and with Options.PinToolDefinitions the changed
// tool is refused: left out of the tool set. With Options.Pins the pins
// outlive the process, so a definition that changed across a restart (a new
// release of the server) is caught too; without, a restart forgets them.

// PinStore keeps pins across restarts (StorePins keeps them in the store).
type PinStore interface {
	// LoadPins returns every stored pin: definition hash and description
	// by tool id.
	LoadPins() (map[string][2]string, error)
	// SavePin stores the pin of a tool id, replacing any before it.
	SavePin(id, hash, description string) error
}

// StorePins keeps the pins in st's pins table (package store): they
// outlive restarts, and every replica sharing a database shares them. The
// pins are global, not a subject's: they guard what every user is offered.
func StorePins(st *store.Store) PinStore { return storePins{st} }

type storePins struct{ st *store.Store }

// The id of a pin is server NUL tool. PostgreSQL's TEXT cannot hold NUL,
// so there the separator is U+FFFF, a character no name holds.
const pgSeparator = "\uffff"

func (p storePins) LoadPins() (map[string][2]string, error) {
	rows, err := p.st.Read().Query(`SELECT id, hash, description FROM pins`)
	if err != nil {
		return nil, fmt.Errorf("reading the pins of tool definitions: %w", p.st.Wrap(err))
	}
	defer rows.Close()
	out := map[string][2]string{}
	for rows.Next() {
		var id, hash, desc string
		if err := rows.Scan(&id, &hash, &desc); err != nil {
			return nil, fmt.Errorf("reading the pins of tool definitions: %w", p.st.Wrap(err))
		}
		out[strings.ReplaceAll(id, pgSeparator, "\x00")] = [2]string{hash, desc}
	}
	return out, p.st.Wrap(rows.Err())
}

// FirstPin stores the pin of id unless one is stored, and returns the
// stored one: the first replica to see a tool pins it for all.
func (p storePins) FirstPin(id, hash, description string) (storedHash, storedDescription string, err error) {
	key := p.key(id)
	_, err = p.st.Write().Exec(`INSERT INTO pins (id, hash, description, pinned) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING`,
		key, hash, description, time.Now().UnixMilli())
	if err == nil {
		err = p.st.Read().QueryRow(`SELECT hash, description FROM pins WHERE id = $1`, key).Scan(&storedHash, &storedDescription)
	}
	if err != nil {
		return "", "", fmt.Errorf("storing the pin of a tool definition: %w", p.st.Wrap(err))
	}
	return storedHash, storedDescription, nil
}

// key is the id of a pin as the pins table keeps it.
func (p storePins) key(id string) string {
	if p.st.Dialect() == store.Postgres {
		return strings.ReplaceAll(id, "\x00", pgSeparator)
	}
	return id
}

func (p storePins) SavePin(id, hash, description string) error {
	id = p.key(id)
	_, err := p.st.Write().Exec(`INSERT INTO pins (id, hash, description, pinned) VALUES ($1, $2, $3, $4)
ON CONFLICT (id) DO UPDATE SET hash = excluded.hash, description = excluded.description, pinned = excluded.pinned`,
		id, hash, description, time.Now().UnixMilli())
	if err != nil {
		return fmt.Errorf("storing the pin of a tool definition: %w", p.st.Wrap(err))
	}
	return nil
}

// definitionHash identifies what the model is told of a tool: title,
// description, schemas and annotations.
func definitionHash(t Tool) string {
	data, _ := json.Marshal(struct {
		Title, Description string
		In, Out            json.RawMessage
		Annotations        any
	}{t.Title, t.Description, t.InputSchema, t.OutputSchema, t.Annotations})
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// checkPin compares t with the pinned definition of its id, pinning it when
// first seen. It reports whether t may be installed; a change is logged
// either way. r.mu must be held.
func (r *Registry) checkPin(t Tool) bool {
	id, h := toolID(t.Server, t.Name), definitionHash(t)
	old, seen := r.pins[id]
	if !seen {
		old = r.firstPin(id, pin{hash: h, description: t.Description})
	}
	if old.hash == h {
		return true
	}
	r.log.Warn("tool definition changed since it was first seen",
		"server", t.Server, "tool", t.Name, "refused", r.pinDefs,
		"was", r.red.String(firstLine(old.description, 200)), "now", r.red.String(firstLine(t.Description, 200)))
	if !r.pinDefs {
		r.setPin(id, pin{hash: h, description: t.Description})
	}
	return !r.pinDefs
}

// setPin pins a definition, in the store too when there is one; r.mu must
// be held.
func (r *Registry) setPin(id string, p pin) {
	r.pins[id] = p
	if r.pinStore == nil {
		return
	}
	if err := r.pinStore.SavePin(id, p.hash, p.description); err != nil {
		r.log.Warn("storing a tool definition's pin", "err", err)
	}
}

// firstPin pins a definition this registry sees first. With a store that
// replicas share (FirstPin), another replica may have pinned the tool
// before: its pin is the pin, and a definition that differs from it is a
// change. r.mu must be held.
func (r *Registry) firstPin(id string, p pin) pin {
	fp, ok := r.pinStore.(interface {
		FirstPin(id, hash, description string) (storedHash, storedDescription string, err error)
	})
	if !ok {
		r.setPin(id, p)
		return p
	}
	hash, desc, err := fp.FirstPin(id, p.hash, p.description)
	if err != nil {
		r.log.Warn("storing a tool definition's pin", "err", err)
		hash, desc = p.hash, p.description
	}
	r.pins[id] = pin{hash: hash, description: desc}
	return r.pins[id]
}

// loadPins reads the stored pins into r.pins.
func (r *Registry) loadPins() {
	if r.pinStore == nil {
		return
	}
	stored, err := r.pinStore.LoadPins()
	if err != nil {
		r.log.Warn("reading the pins of tool definitions; starting without", "err", err)
		return
	}
	for id, v := range stored {
		r.pins[id] = pin{hash: v[0], description: v[1]}
	}
}

// pin is the first definition seen of a tool.
type pin struct {
	hash        string
	description string
}

// OnChange registers f to be called, on its own goroutine, after every
// change of the tool set (Version changes): the server re-announces its
// tools to its clients.
func (r *Registry) OnChange(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.onChange = append(r.onChange, f)
}

// changed runs the OnChange hooks; r.mu must be held.
func (r *Registry) changed() {
	for _, f := range r.onChange {
		go f()
	}
}
