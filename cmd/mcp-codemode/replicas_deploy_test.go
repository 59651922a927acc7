package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
)

// Docker cannot run on the test machines, so deploy/ is checked as far as
// it can be without it: the configuration is read as the server reads it,
// the Deployment's figures are those derived from it, the files compose
// mounts exist, and HAProxy accepts its configuration (TestReplicas runs
// it).

func deployFile(t *testing.T, name string) (path string, text string) {
	t.Helper()
	path = filepath.Join(testenv.Root(), "deploy", filepath.FromSlash(name))
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, string(data)
}

// workerOwnMiB and serverBaseMiB are the memory figures deployment.yaml's
// comment derives its limit from: a worker process's own memory beside its
// script's heap, and the server's (request bodies in flight, capped at
// 128 MiB, and 128 MiB for the rest).
const (
	workerOwnMiB  = 24
	serverBaseMiB = 256
)

// TestDeployConfig: the configuration of the ConfigMap (and compose.yaml)
// is accepted as the server reads it, with the Secret's variables set; the
// Deployment's memory limit is max_concurrent × (memory_limit_mb + a
// worker's own) + the server's base, and its termination grace covers the
// preStop sleep and the shutdown grace.
func TestDeployConfig(t *testing.T) {
	path, _ := deployFile(t, "kubernetes/config.json")
	secret := map[string]string{"DATABASE_URL": "postgres://mcp:secret@postgres:5432/mcp?sslmode=disable",
		"TEAM_A_TOKEN": strings.Repeat("a", 32), "TEAM_B_TOKEN": strings.Repeat("b", 32)}
	cfg, err := config.Load(path, lookupFrom(secret))
	if err != nil {
		t.Fatalf("the ConfigMap's configuration: %v", err)
	}
	c := cfg.Codemode
	_, deployment := deployFile(t, "kubernetes/deployment.yaml")
	limit := regexp.MustCompile(`limits:\s+cpu: "?\w+"?\s+memory: (\d+)Mi`).FindStringSubmatch(deployment)
	if limit == nil {
		t.Fatal("deployment.yaml has no memory limit in Mi")
	}
	want := c.MaxConcurrent*(c.MemoryLimitMB+workerOwnMiB) + serverBaseMiB
	if got, _ := strconv.Atoi(limit[1]); got != want {
		t.Errorf("deployment.yaml's memory limit is %d Mi; from config.json (max_concurrent %d × (memory_limit_mb %d + %d) + %d) it is %d Mi",
			got, c.MaxConcurrent, c.MemoryLimitMB, workerOwnMiB, serverBaseMiB, want)
	}
	grace := regexp.MustCompile(`terminationGracePeriodSeconds: (\d+)`).FindStringSubmatch(deployment)
	preStop := regexp.MustCompile(`sleep:\s+seconds: (\d+)`).FindStringSubmatch(deployment)
	if grace == nil || preStop == nil {
		t.Fatal("deployment.yaml lacks terminationGracePeriodSeconds or the preStop sleep")
	}
	g, _ := strconv.Atoi(grace[1])
	p, _ := strconv.Atoi(preStop[1])
	if time.Duration(g-p)*time.Second <= defaultGrace {
		t.Errorf("terminationGracePeriodSeconds %d less the preStop sleep %d s does not exceed the shutdown grace %v", g, p, defaultGrace)
	}
}

// TestDeployCompose: the files compose.yaml mounts exist, and it runs three
// replicas behind HAProxy.
func TestDeployCompose(t *testing.T) {
	_, compose := deployFile(t, "compose.yaml")
	mounts := regexp.MustCompile(`(?m)^\s+- (\./[^:]+):`).FindAllStringSubmatch(compose, -1)
	if len(mounts) < 2 {
		t.Fatalf("compose.yaml mounts %d files, want the configuration and haproxy.cfg", len(mounts))
	}
	for _, m := range mounts {
		if _, err := os.Stat(filepath.Join(testenv.Root(), "deploy", m[1])); err != nil {
			t.Errorf("compose.yaml mounts %s: %v", m[1], err)
		}
	}
	for _, want := range []string{"replica1: *replica", "replica2: *replica", "replica3: *replica", "REPLICA3: replica3:8080", "image: postgres:15", "image: haproxy:2.6"} {
		if !strings.Contains(compose, want) {
			t.Errorf("compose.yaml lacks %q", want)
		}
	}
}

// TestDeployHAProxy: HAProxy accepts deploy/haproxy.cfg.
func TestDeployHAProxy(t *testing.T) {
	haproxy := haproxyPath(t)
	path, _ := deployFile(t, "haproxy.cfg")
	cmd := exec.Command(haproxy, "-c", "-f", path)
	cmd.Env = append(os.Environ(), "HAPROXY_BIND=127.0.0.1:8080",
		"REPLICA1=127.0.0.1:1", "REPLICA2=127.0.0.1:2", "REPLICA3=127.0.0.1:3")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("haproxy -c: %v\n%s", err, out)
	}
}
