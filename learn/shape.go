package learn

// A Shape is what the values at one place of a tool's results have looked
// like: the JSON types seen there and, for arrays and objects, the shapes of
// their parts. It holds property names and counts, never a value.
//
// Shapes form a join-semilattice under [Merge]: merging is commutative and
// associative, and only ever widens (a property turns optional, a type
// joins a union, an object turns into a record, a part turns unknown), so a
// tool's learned type changes a bounded number of times however many
// results it returns. The bounds, each falling back to a wider type:
//
//   - [MaxDepth] levels of nested arrays and objects; deeper is unknown;
//   - [MaxProps] distinct keys in one object; more make it a record;
//   - [MaxNodes] shape nodes in all; past it the deepest levels turn
//     unknown until it fits, so a learned type is at most a few tens of KB
//     of TypeScript;
//   - a union holds at most one member per JSON type (null, boolean,
//     number, string, array, object): six; values are never literal types;
//   - [MaxValues] JSON values walked per result: the rest of a huge result
//     is not looked at, so learning costs bounded time and memory.
//
// The JSON form (field names below) is what the store keeps.
type Shape struct {
	Kinds   Kind    `json:"k,omitempty"`  // the JSON types seen
	Any     bool    `json:"u,omitempty"`  // cut by a bound: any value
	Items   *Shape  `json:"i,omitempty"`  // arrays: their elements, merged; nil: only empty arrays
	Props   []*Prop `json:"p,omitempty"`  // objects keyed by names, in the order first seen
	Objects int64   `json:"o,omitempty"`  // objects seen whole (a property seen in fewer is optional)
	Record  *Shape  `json:"r,omitempty"`  // objects keyed by data: their values, merged (Props is then empty)
	IsRec   bool    `json:"rr,omitempty"` // the object is a record
}

// Prop is one property of an object shape.
type Prop struct {
	Name  string `json:"n"`
	Seen  int64  `json:"c,omitempty"` // whole objects that had it
	Shape *Shape `json:"s"`
}

// Kind is a set of JSON types.
type Kind uint8

const (
	Null Kind = 1 << iota
	Bool
	Number
	String
	Array
	Object
)

// The bounds of a shape (see [Shape]).
const (
	MaxDepth  = 8
	MaxProps  = 100
	MaxNodes  = 500
	MaxValues = 20000
)

// Empty reports whether s has seen nothing.
func (s *Shape) Empty() bool { return s == nil || s.Kinds == 0 && !s.Any }

// Concrete reports whether s says more than unknown.
func (s *Shape) Concrete() bool { return !s.Empty() && !s.Any }

// Merge returns the shape of values of a's shape or of b's. It allocates a
// new shape and leaves a and b alone.
func Merge(a, b *Shape) *Shape {
	out := merge(a, b)
	prune(out)
	return out
}

func merge(a, b *Shape) *Shape {
	switch {
	case a.Empty():
		return clone(b)
	case b.Empty():
		return clone(a)
	case a.Any || b.Any:
		return &Shape{Any: true}
	}
	out := &Shape{Kinds: a.Kinds | b.Kinds}
	if out.Kinds&Array != 0 {
		out.Items = mergeItems(a, b)
	}
	if out.Kinds&Object != 0 {
		mergeObjects(out, a, b)
	}
	return out
}

func mergeItems(a, b *Shape) *Shape {
	if a.Items == nil && b.Items == nil {
		return nil
	}
	return merge(a.Items, b.Items)
}

// mergeObjects merges the object parts of a and b into out: properties by
// name, counted so that one missing from some whole object is optional; a
// record on either side, or too many names, makes a record.
func mergeObjects(out, a, b *Shape) {
	out.Objects = a.Objects + b.Objects
	if a.IsRec || b.IsRec {
		out.IsRec, out.Record = true, merge(recordValues(a), recordValues(b))
		return
	}
	index := map[string]*Prop{}
	for _, side := range [2]*Shape{a, b} {
		for _, p := range side.Props {
			if q := index[p.Name]; q != nil {
				q.Seen += p.Seen
				q.Shape = merge(q.Shape, p.Shape)
				continue
			}
			q := &Prop{Name: p.Name, Seen: p.Seen, Shape: clone(p.Shape)}
			index[p.Name] = q
			out.Props = append(out.Props, q)
		}
	}
	if len(out.Props) > MaxProps {
		out.IsRec, out.Record, out.Props = true, recordValues(out), nil
	}
}

// recordValues is the shape of every value of s's objects.
func recordValues(s *Shape) *Shape {
	if s.IsRec {
		return s.Record
	}
	var v *Shape
	for _, p := range s.Props {
		v = merge(v, p.Shape)
	}
	return v
}

func clone(s *Shape) *Shape {
	if s == nil {
		return nil
	}
	c := *s
	c.Items, c.Record = clone(s.Items), clone(s.Record)
	if s.Props != nil {
		c.Props = make([]*Prop, len(s.Props))
		for i, p := range s.Props {
			c.Props[i] = &Prop{Name: p.Name, Seen: p.Seen, Shape: clone(p.Shape)}
		}
	}
	return &c
}

// children calls f with each part of s.
func (s *Shape) children(f func(*Shape)) {
	if s.Items != nil {
		f(s.Items)
	}
	if s.Record != nil {
		f(s.Record)
	}
	for _, p := range s.Props {
		f(p.Shape)
	}
}

// nodes counts the shape nodes of s down to depth limit (0: s alone).
func nodes(s *Shape, limit int) int {
	if s == nil {
		return 0
	}
	n := 1
	if limit > 0 {
		s.children(func(c *Shape) { n += nodes(c, limit-1) })
	}
	return n
}

// prune turns the deepest levels of s unknown until it has at most
// MaxNodes nodes, and everything below MaxDepth.
func prune(s *Shape) {
	depth := MaxDepth
	for depth > 0 && nodes(s, depth) > MaxNodes {
		depth--
	}
	cut(s, depth)
}

// cut turns the parts of s below depth into unknown.
func cut(s *Shape, depth int) {
	if s == nil || s.Any {
		return
	}
	if depth == 0 {
		if s.Items != nil || s.Record != nil || len(s.Props) > 0 {
			*s = Shape{Any: true}
		}
		return
	}
	s.children(func(c *Shape) { cut(c, depth-1) })
}

// mergeInto is Merge for shapes the caller owns, such as those a walk
// builds: it changes a and takes b's parts instead of copying them (a walk
// merges every element of an array).
func mergeInto(a, b *Shape) *Shape {
	switch {
	case a.Empty():
		return b
	case b.Empty():
		return a
	case a.Any || b.Any:
		return &Shape{Any: true}
	}
	a.Kinds |= b.Kinds
	if a.Items != nil || b.Items != nil {
		a.Items = mergeInto(a.Items, b.Items)
	}
	if b.Kinds&Object != 0 {
		mergeObjectsInto(a, b)
	}
	return a
}

func mergeObjectsInto(a, b *Shape) {
	a.Objects += b.Objects
	if a.IsRec || b.IsRec {
		a.Record = mergeInto(takeValues(a), takeValues(b))
		a.IsRec, a.Props = true, nil
		return
	}
	for _, p := range b.Props {
		if q := findProp(a.Props, p.Name); q != nil {
			q.Seen += p.Seen
			q.Shape = mergeInto(q.Shape, p.Shape)
			continue
		}
		a.Props = append(a.Props, p)
	}
	if len(a.Props) > MaxProps {
		a.Record = takeValues(a)
		a.IsRec, a.Props = true, nil
	}
}

// takeValues is the shape of every value of s's objects, built from s's
// own parts.
func takeValues(s *Shape) *Shape {
	if s.IsRec {
		return s.Record
	}
	var v *Shape
	for _, p := range s.Props {
		v = mergeInto(v, p.Shape)
	}
	return v
}

func findProp(props []*Prop, name string) *Prop {
	for _, p := range props {
		if p.Name == name {
			return p
		}
	}
	return nil
}
