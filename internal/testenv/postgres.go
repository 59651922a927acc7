package testenv

// PostgreSQL for the tests, from the OS packages (apt-get install
// postgresql). One template cluster is made with initdb per test binary;
// servers start from copies of it on free loopback ports, as the user
// postgres when the tests run as root (PostgreSQL refuses root), and die
// with the test binary (Pdeathsig). Postgres gives a test a database of
// its own on a server the binary shares; PostgresServer gives a test a
// server of its own, which it may stop and start (outage tests).
//
// Without PostgreSQL installed the tests that need it skip, saying so,
// unless $CI is set: then they fail. $MCP_CODEMODE_TEST_DATABASE_URL
// (a URL of a role that may CREATE DATABASE) replaces the shared server.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PGServer is a PostgreSQL server the tests started.
type PGServer struct {
	dir  string // the cluster's data directory
	log  string // the server's output
	port int
	base *url.URL // admin URL without a database; external servers only

	mu  sync.Mutex
	cmd *exec.Cmd
	// exited is closed when cmd ends.
	exited chan struct{}
}

var (
	shared struct {
		once sync.Once
		srv  *PGServer
		err  error
	}
	template struct {
		once sync.Once
		dir  string
		err  error
	}
	dbSeq atomic.Int64
)

// Postgres returns the URL of a new, empty database for t, on the server
// the test binary shares (or $MCP_CODEMODE_TEST_DATABASE_URL's), dropped
// when t ends.
func Postgres(t testing.TB) string {
	t.Helper()
	shared.once.Do(func() { shared.srv, shared.err = sharedServer() })
	if shared.err != nil {
		unavailable(t, shared.err)
	}
	return shared.srv.NewDatabase(t)
}

// PostgresServer starts a PostgreSQL server of t's own, stopped when t
// ends: for tests that stop and restart it. Use [PGServer.NewDatabase] or
// [PGServer.URL] for its databases.
func PostgresServer(t testing.TB) *PGServer {
	t.Helper()
	srv, err := newServer()
	if err != nil {
		unavailable(t, err)
	}
	t.Cleanup(func() { srv.Stop(); os.RemoveAll(filepath.Dir(srv.dir)) })
	return srv
}

// errNotInstalled is PostgreSQL's binaries missing.
var errNotInstalled = errors.New("PostgreSQL is not installed (apt-get install postgresql)")

// unavailable skips t when PostgreSQL is not installed and $CI is unset;
// any other failure, and every failure under CI, fails t.
func unavailable(t testing.TB, err error) {
	t.Helper()
	if errors.Is(err, errNotInstalled) {
		Missing(t, err.Error())
		return
	}
	t.Fatalf("testenv: %v", err)
}

// URL is the address of database db on the server, as the superuser
// postgres (trusted on loopback).
func (s *PGServer) URL(db string) string {
	if s.base != nil {
		u := *s.base
		u.Path = "/" + db
		return u.String()
	}
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.port, db)
}

// Port is the server's loopback port.
func (s *PGServer) Port() int { return s.port }

// NewDatabase creates an empty database for t and returns its URL; it is
// dropped when t ends (its connections closed by force).
func (s *PGServer) NewDatabase(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("t%d_%s", dbSeq.Add(1), dbName(t.Name()))
	if err := s.Exec(context.Background(), "CREATE DATABASE "+name); err != nil {
		t.Fatalf("testenv: creating database %s: %v", name, err)
	}
	t.Cleanup(func() {
		if err := s.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("testenv: dropping database %s: %v", name, err)
		}
	})
	return s.URL(name)
}

var notIdent = regexp.MustCompile(`[^a-z0-9_]+`)

func dbName(test string) string {
	n := notIdent.ReplaceAllString(strings.ToLower(test), "_")
	return n[:min(len(n), 40)]
}

// Exec runs sql in the server's postgres database, as the superuser.
func (s *PGServer) Exec(ctx context.Context, sql string) error {
	ctx, cancel := context.WithTimeout(ctx, Within(10*time.Second))
	defer cancel()
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

// sharedServer is $MCP_CODEMODE_TEST_DATABASE_URL's server, or one started.
func sharedServer() (*PGServer, error) {
	if v := os.Getenv("MCP_CODEMODE_TEST_DATABASE_URL"); v != "" {
		u, err := url.Parse(v)
		if err != nil {
			return nil, fmt.Errorf("MCP_CODEMODE_TEST_DATABASE_URL: %v", err)
		}
		return &PGServer{base: u}, nil
	}
	return newServer()
}

// newServer copies the template cluster and starts a server on it.
func newServer() (*PGServer, error) {
	template.once.Do(func() { template.dir, template.err = makeTemplate() })
	if template.err != nil {
		return nil, template.err
	}
	parent, err := tempDir()
	if err != nil {
		return nil, err
	}
	s := &PGServer{dir: filepath.Join(parent, "data"), log: filepath.Join(parent, "postgres.log")}
	if out, err := exec.Command("cp", "-a", template.dir, s.dir).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("copying the template cluster: %v: %s", err, out)
	}
	if s.port, err = freePort(); err != nil {
		return nil, err
	}
	if err := s.Start(); err != nil {
		return nil, err
	}
	return s, nil
}

// Start starts the server (again, after Stop) and waits until it accepts
// connections.
func (s *PGServer) Start() error {
	if s.base != nil {
		return errors.New("the server of MCP_CODEMODE_TEST_DATABASE_URL cannot be started by the tests")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return nil
	}
	logf, err := os.OpenFile(s.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o666)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(binary("postgres"), "-D", s.dir, "-p", strconv.Itoa(s.port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "fsync=off",
		"-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "shared_buffers=16MB",
		"-c", "max_connections=300", "-c", "log_min_messages=warning")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = asPostgres()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting postgres: %v", err)
	}
	s.cmd, s.exited = cmd, make(chan struct{})
	go func(exited chan struct{}) { cmd.Wait(); close(exited) }(s.exited)
	return s.waitReady()
}

// waitReady waits until the server answers, or fails with its log.
func (s *PGServer) waitReady() error {
	deadline := time.Now().Add(Within(30 * time.Second))
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			s.cmd = nil
			return fmt.Errorf("postgres exited at start: %s", s.logTail())
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn, err := pgx.Connect(ctx, s.URL("postgres"))
		cancel()
		if err == nil {
			conn.Close(context.Background())
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("postgres did not accept connections on port %d: %s", s.port, s.logTail())
}

func (s *PGServer) logTail() string {
	b, _ := os.ReadFile(s.log)
	return string(b[max(0, len(b)-2000):])
}

// Stop shuts the server down (fast: connections are closed) and waits for
// it to exit.
func (s *PGServer) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return nil
	}
	s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.exited:
	case <-time.After(Within(30 * time.Second)):
		s.cmd.Process.Kill()
		<-s.exited
	}
	s.cmd = nil
	return nil
}

// makeTemplate runs initdb once per test binary. The postgres role is
// trusted on loopback; every other role needs its password (scram), so
// that tests can check authentication errors.
func makeTemplate() (string, error) {
	if _, err := os.Stat(binary("initdb")); err != nil {
		return "", errNotInstalled
	}
	parent, err := tempDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(parent, "template")
	cmd := exec.Command(binary("initdb"), "-D", dir, "-U", "postgres", "-A", "trust", "-E", "UTF8",
		"--locale=C", "--no-sync", "--no-instructions")
	cmd.SysProcAttr = asPostgres()
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("initdb: %v: %s", err, out)
	}
	hba := "host all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n"
	if err := os.WriteFile(filepath.Join(dir, "pg_hba.conf"), []byte(hba), 0o600); err != nil {
		return "", err
	}
	return dir, chown(dir)
}

// binDir is where the PostgreSQL binaries are: the newest
// /usr/lib/postgresql/N/bin, else $PATH's.
func binary(name string) string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	for i := len(dirs) - 1; i >= 0; i-- {
		if p := filepath.Join(dirs[i], name); isFile(p) {
			return p
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	return filepath.Join("/usr/lib/postgresql/bin", name)
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// tempDir makes a directory for a cluster, owned by postgres when root,
// named by this process's id; those of test binaries no longer running
// are removed first.
func tempDir() (string, error) {
	removeStale()
	dir, err := os.MkdirTemp("", fmt.Sprintf("mcp-codemode-pg-%d-", os.Getpid()))
	if err != nil {
		return "", err
	}
	return dir, chown(dir)
}

func removeStale() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "mcp-codemode-pg-*"))
	for _, d := range dirs {
		f := strings.SplitN(filepath.Base(d), "-", 5)
		if len(f) < 4 {
			continue
		}
		if pid, err := strconv.Atoi(f[3]); err == nil && syscall.Kill(pid, 0) == syscall.ESRCH {
			os.RemoveAll(d)
		}
	}
}

// postgresUser is the uid and gid to run PostgreSQL as when root.
func postgresUser() (uid, gid uint32, ok bool) {
	if os.Getuid() != 0 {
		return 0, 0, false
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return 0, 0, false
	}
	uu, _ := strconv.Atoi(u.Uid)
	gg, _ := strconv.Atoi(u.Gid)
	return uint32(uu), uint32(gg), true
}

// asPostgres runs a command as postgres when root, killed when the test
// binary dies.
func asPostgres() *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if uid, gid, ok := postgresUser(); ok {
		attr.Credential = &syscall.Credential{Uid: uid, Gid: gid}
	}
	return attr
}

func chown(dir string) error {
	uid, gid, ok := postgresUser()
	if !ok {
		return nil
	}
	return filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, int(uid), int(gid))
	})
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
