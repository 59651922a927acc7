package tools

import (
	"context"
	"testing"
)

func TestSubjectContext(t *testing.T) {
	if got := Subject(context.Background()); got != "" {
		t.Errorf("Subject(Background) = %q, want empty", got)
	}
	if got := Subject(WithSubject(context.Background(), "jwt:alice")); got != "jwt:alice" {
		t.Errorf("Subject = %q", got)
	}
}
