package learn

import (
	"bytes"
	"encoding/json"
)

// Schema is the JSON Schema of s, for package typegen to declare: one
// member per JSON type (anyOf when several), properties with the optional
// ones left out of required, records as additionalProperties, and {} for
// unknown. An empty shape has none (nil).
func (s *Shape) Schema() json.RawMessage {
	if s.Empty() {
		return nil
	}
	var b bytes.Buffer
	writeSchema(&b, s)
	return b.Bytes()
}

func writeSchema(b *bytes.Buffer, s *Shape) {
	if s.Empty() || s.Any {
		b.WriteString("{}")
		return
	}
	var members []func()
	for _, k := range [...]Kind{String, Number, Bool, Array, Object, Null} {
		if s.Kinds&k != 0 {
			members = append(members, func() { writeKind(b, s, k) })
		}
	}
	if len(members) == 1 {
		members[0]()
		return
	}
	b.WriteString(`{"anyOf":[`)
	for i, m := range members {
		if i > 0 {
			b.WriteByte(',')
		}
		m()
	}
	b.WriteString("]}")
}

var kindNames = map[Kind]string{Null: "null", Bool: "boolean", Number: "number", String: "string"}

func writeKind(b *bytes.Buffer, s *Shape, k Kind) {
	switch k {
	case Array:
		b.WriteString(`{"type":"array","items":`)
		writeSchema(b, s.Items)
		b.WriteByte('}')
	case Object:
		writeObject(b, s)
	default:
		b.WriteString(`{"type":"` + kindNames[k] + `"}`)
	}
}

func writeObject(b *bytes.Buffer, s *Shape) {
	if s.IsRec {
		b.WriteString(`{"type":"object","additionalProperties":`)
		writeSchema(b, s.Record)
		b.WriteByte('}')
		return
	}
	b.WriteString(`{"type":"object","properties":{`)
	var required []string
	for i, p := range s.Props {
		if i > 0 {
			b.WriteByte(',')
		}
		writeString(b, p.Name)
		b.WriteByte(':')
		writeSchema(b, p.Shape)
		if p.Seen >= s.Objects {
			required = append(required, p.Name)
		}
	}
	b.WriteString(`},"required":[`)
	for i, r := range required {
		if i > 0 {
			b.WriteByte(',')
		}
		writeString(b, r)
	}
	b.WriteString(`]}`)
}

func writeString(b *bytes.Buffer, s string) {
	data, _ := json.Marshal(s)
	b.Write(data)
}
