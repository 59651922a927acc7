// Command mcp-codemode-bench measures mcp-codemode against its peers in one
// run and writes docs/benchmarks.json, docs/benchmarks.svg and the results
// section of docs/benchmarks.md (see package bench).
//
//	go run ./bench/cmd/mcp-codemode-bench [-quick] [-out docs] [-cpuprofile FILE]
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strings"

	"github.com/mcp-codemode/mcp-codemode/bench"
)

func main() {
	if len(os.Args) >= 2 && os.Args[1] == bench.UpstreamArg {
		if err := bench.ServeUpstreamArgs(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mcp-codemode-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	quick := fs.Bool("quick", false, "a few iterations of everything (a smoke test); writes nothing unless -out is given")
	out := fs.String("out", "", "directory for benchmarks.{json,svg,md} [docs, or nothing with -quick]")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the whole run (this process only) to FILE")
	scale := fs.Bool("scale", false, "measure only how cost grows with the tools and namespaces (issue 18); writes nothing")
	ws := fs.Bool("workspace", false, "measure only the workspace's write and prefix list at 100 and 10,000 files (issue 18); writes nothing")
	results := fs.Bool("results", false, "measure only results of 1 KB to 10 MB through execute against the Node SDK client (issue 18); writes nothing")
	httpOnly := fs.Bool("http", false, "measure only the throughput over streamable HTTP at 1, 8 and 64 clients, worker processes and in process (issue 18); writes nothing")
	from := fs.String("from", "", "measure nothing: render the results of a run saved as JSON (benchmarks.json) again")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *out == "" && !*quick {
		*out = "docs"
	}
	if *from != "" {
		if err := render(*from, *out, stdout); err != nil {
			fmt.Fprintln(stderr, "mcp-codemode-bench:", err)
			return 1
		}
		return 0
	}
	if *results {
		if err := measureResults(*quick, stdout, stderr); err != nil {
			fmt.Fprintln(stderr, "mcp-codemode-bench:", err)
			return 1
		}
		return 0
	}
	if *httpOnly {
		if err := measureHTTP(*quick, stdout, stderr); err != nil {
			fmt.Fprintln(stderr, "mcp-codemode-bench:", err)
			return 1
		}
		return 0
	}
	if *ws {
		return measureWorkspace(*quick, stdout, stderr)
	}
	if *scale {
		if err := measureScale(*quick, stdout, stderr); err != nil {
			fmt.Fprintln(stderr, "mcp-codemode-bench:", err)
			return 1
		}
		return 0
	}
	if err := measure(*quick, *out, *cpuprofile, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "mcp-codemode-bench:", err)
		return 1
	}
	return 0
}

func measure(quick bool, out, cpuprofile string, stdout, stderr io.Writer) error {
	wd, _ := os.Getwd()
	env, err := bench.FindEnv(wd)
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	opts := bench.Options{}
	if quick {
		opts = bench.Quick
	}
	opts.Upstream, opts.Log = []string{self, bench.UpstreamArg}, stderr
	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	res, err := bench.Run(env, opts)
	if err != nil {
		return err
	}
	res.Markdown(stdout)
	if out == "" {
		return nil
	}
	if !filepath.IsAbs(out) {
		out = filepath.Join(env.Root, out)
	}
	return write(res, out)
}

// measureScale runs and prints the curves alone.
func measureScale(quick bool, stdout, stderr io.Writer) error {
	env, opts, err := curve(quick, 100, stderr)
	if err != nil {
		return err
	}
	res, err := bench.RunScale(env, opts)
	if err != nil {
		return err
	}
	res.Scale.Markdown(stdout)
	bench.PrintTargets(stdout, res.Scale.Targets())
	return nil
}

// measureResults runs and prints the result curve alone.
func measureResults(quick bool, stdout, stderr io.Writer) error {
	env, opts, err := curve(quick, 50, stderr)
	if err != nil {
		return err
	}
	res, err := bench.RunResults(env, opts)
	if err != nil {
		return err
	}
	res.ResultsMarkdown(stdout)
	return nil
}

// measureHTTP runs and prints the HTTP throughput alone.
func measureHTTP(quick bool, stdout, stderr io.Writer) error {
	env, opts, err := curve(quick, 50, stderr)
	if err != nil {
		return err
	}
	res, err := bench.RunHTTP(env, opts)
	if err != nil {
		return err
	}
	res.HTTPMarkdown(stdout)
	return nil
}

// curve is the environment and options of a curve measured alone: 3 rounds
// of perRound (bench.Quick with quick), this binary as the upstream.
func curve(quick bool, perRound int, stderr io.Writer) (bench.Env, bench.Options, error) {
	wd, _ := os.Getwd()
	env, err := bench.FindEnv(wd)
	if err != nil {
		return env, bench.Options{}, err
	}
	self, err := os.Executable()
	if err != nil {
		return env, bench.Options{}, err
	}
	opts := bench.Options{Rounds: 3, PerRound: perRound}
	if quick {
		opts = bench.Quick
	}
	opts.Upstream, opts.Log = []string{self, bench.UpstreamArg}, stderr
	return env, opts, nil
}

// measureWorkspace runs and prints the workspace curve alone.
func measureWorkspace(quick bool, stdout, stderr io.Writer) int {
	rounds, per := 5, 200
	if quick {
		rounds, per = 1, 5
	}
	res, err := bench.MeasureWorkspace(rounds, per, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "mcp-codemode-bench:", err)
		return 1
	}
	res.Markdown(stdout)
	return 0
}

// render writes the results saved in the JSON file from again.
func render(from, out string, stdout io.Writer) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	var res bench.Results
	if err := json.Unmarshal(data, &res); err != nil {
		return fmt.Errorf("%s: %w", from, err)
	}
	res.Markdown(stdout)
	if out == "" {
		return nil
	}
	return write(&res, out)
}

// write saves the JSON, the chart, and the results section of benchmarks.md
// between its markers.
func write(res *bench.Results, dir string) error {
	data, _ := json.MarshalIndent(res, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "benchmarks.json"), append(data, '\n'), 0o644); err != nil {
		return err
	}
	var svg bytes.Buffer
	res.SVG(&svg)
	if err := os.WriteFile(filepath.Join(dir, "benchmarks.svg"), svg.Bytes(), 0o644); err != nil {
		return err
	}
	return replaceResults(filepath.Join(dir, "benchmarks.md"), res)
}

const beginMark, endMark = "<!-- results: written by mcp-codemode-bench -->", "<!-- end of results -->"

func replaceResults(path string, res *bench.Results) error {
	doc, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		doc, err = []byte(beginMark+"\n"+endMark+"\n"), nil
	}
	if err != nil {
		return err
	}
	before, rest, ok1 := strings.Cut(string(doc), beginMark)
	_, after, ok2 := strings.Cut(rest, endMark)
	if !ok1 || !ok2 {
		return errors.New(path + ": no results markers to write between")
	}
	var md bytes.Buffer
	res.Markdown(&md)
	return os.WriteFile(path, []byte(before+beginMark+"\n\n"+md.String()+endMark+after), 0o644)
}
