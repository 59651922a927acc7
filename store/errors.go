package store

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
)

// Error is a fault of the database rather than of the caller: it is
// unreachable, refused the credentials, timed out. Callers show it as it
// is; its text names what failed and never holds the password.
type Error struct {
	Op  string // what failed, in words: "the database is unreachable"
	Err error  // the driver's error

	secret string // scrubbed from Err's text
}

func (e *Error) Error() string {
	msg := "StoreError: " + e.Op
	if e.Err != nil {
		msg += ": " + scrub(e.Err.Error(), e.secret)
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// scrub removes secret (the password of the database URL) from s.
func scrub(s, secret string) string {
	if secret == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, "[redacted]")
}

// Wrap returns err as an *[Error] when the database is at fault (it is
// unreachable, shutting down, timed out, refused the credentials), and as
// it is otherwise: a constraint violation or a missing row is the
// caller's to handle. For callers that use [Store.Write] or [Store.Read]
// directly; [Store.Tx] applies it already.
func (s *Store) Wrap(err error) error {
	var se *Error
	if err == nil || errors.As(err, &se) {
		return err
	}
	if op := fault(err); op != "" {
		return &Error{Op: op, Err: err, secret: s.secret}
	}
	return err
}

// wrapAlways returns err as an *Error in any case but the caller's
// cancellation: an error of Begin, Commit or Ping is the database's,
// whatever its kind. doing names the step when no more specific fault is
// recognised.
func (s *Store) wrapAlways(doing string, err error) error {
	var se *Error
	if err == nil || errors.As(err, &se) || errors.Is(err, context.Canceled) {
		return err
	}
	op := fault(err)
	if op == "" {
		op = "the database failed " + doing
	}
	return &Error{Op: op, Err: err, secret: s.secret}
}

// fault says what is wrong with the database when err shows it, else "".
// A caller's cancellation is not a fault.
func fault(err error) string {
	var (
		pg  *pgconn.PgError
		dns *net.DNSError
	)
	switch {
	case errors.Is(err, context.Canceled):
		return ""
	case errors.As(err, &dns):
		return "the database host is not found (DNS)"
	case errors.As(err, &pg):
		return pgFault(pg)
	case isTLS(err):
		return "the TLS connection to the database failed"
	case errors.Is(err, context.DeadlineExceeded), pgconn.Timeout(err), isNetTimeout(err):
		return "the database did not answer in time"
	case unreachable(err):
		return "the database is unreachable"
	}
	return ""
}

// pgFault names the faults among the server's own errors: those of the
// connection, the credentials and a server going down.
func pgFault(pg *pgconn.PgError) string {
	switch {
	case pg.Code == "28P01" || pg.Code == "28000":
		return "the database refused the credentials (check the user name and password in the URL)"
	case pg.Code == "3D000":
		return "the database does not exist (create it, or fix the name in the URL)"
	case strings.HasPrefix(pg.Code, "08"), strings.HasPrefix(pg.Code, "57P"), pg.Code == "53300":
		return "the database is unreachable"
	}
	return ""
}

func isTLS(err error) bool {
	var (
		rh   tls.RecordHeaderError
		ua   x509.UnknownAuthorityError
		hn   x509.HostnameError
		ci   x509.CertificateInvalidError
		alrt tls.AlertError
	)
	if errors.As(err, &rh) || errors.As(err, &ua) || errors.As(err, &hn) || errors.As(err, &ci) || errors.As(err, &alrt) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "server refused TLS connection") || strings.Contains(msg, "tls: ")
}

func isNetTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// unreachable is a connection that could not be made or was lost.
func unreachable(err error) bool {
	var (
		op *net.OpError
		ce *pgconn.ConnectError
	)
	return errors.As(err, &op) || errors.As(err, &ce) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, net.ErrClosed)
}
