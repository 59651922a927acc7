package sandbox

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkSetup is setting a fresh runtime up (prepare: goja.New and
// setup) with 50 bindings, without running any code: the cost a spare
// moves off the request path, and the whole of it when there is none.
//
//	go test -run '^$' -bench Setup -benchmem -cpuprofile cpu.out ./sandbox
func BenchmarkSetup(b *testing.B) {
	var bindings []Binding
	for i := range 50 {
		bindings = append(bindings, Binding{Object: fmt.Sprintf("ns%d", i%5), Method: fmt.Sprintf("m%d", i), ID: fmt.Sprint(i)})
	}
	opts := Options{Bindings: bindings}.withDefaults()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := prepare(opts, time.Minute); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSetupSteps times setup's steps, each run with those before it
// (setupBase, installGuards), and the first use of a web global and of the
// helpers, which setup leaves to the code.
func BenchmarkSetupSteps(b *testing.B) {
	opts := Options{}.withDefaults()
	steps := []struct {
		name string
		f    func(x *execution)
	}{
		{"new", func(x *execution) {}},
		{"base", func(x *execution) { must(x.setupBase()) }},
		{"guards", func(x *execution) {
			must(x.setupBase())
			must(x.installGuards())
		}},
		{"web", func(x *execution) {
			must(x.setupBase())
			must(x.installGuards())
			x.webGlobal("atob") // what the first use of a web global costs
		}},
		{"helpers", func(x *execution) {
			must(x.setupBase())
			must(x.installGuards())
			_, err := x.help() // what the first use of a helper costs
			must(err)
		}},
	}
	for _, s := range steps {
		b.Run(s.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s.f(newRuntime(opts))
			}
		})
	}
}
