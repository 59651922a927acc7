package store

// The PostgreSQL side of the bus. Every Store keeps one connection of its
// own outside the pool that LISTENs on one channel, busChannel; the bus's
// channels travel inside the payload, so there is nothing to LISTEN or
// UNLISTEN as subscriptions come and go. A notification is
//
//	kind origin channel "\n" data
//
// kind: 'm' data as it is (valid UTF-8 without NUL), 'b' data in base64,
// 'r' data is the id of a row of the bus table holding the payload (a
// notification holds at most 8000 bytes). origin is the publishing
// Store's id: a Store delivers its own payloads at once and skips them
// when they come back, so its subscribers receive them even while the
// listening connection is down.
//
// The connection reconnects by itself with backoff (100 ms doubling to
// 5 s) and LISTENs again; notifications sent meanwhile are lost to this
// replica. Rows of the bus table older than busRetention are deleted by
// the next large Publish.

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
)

const (
	busChannel   = "codemode_bus"
	maxNotify    = 7999 // PostgreSQL refuses payloads of 8000 bytes and more
	busRetention = time.Minute
	originLen    = 8
)

type listener struct {
	cfg    *pgx.ConnConfig
	s      *Store
	origin string
	cancel context.CancelFunc
	done   chan struct{}
}

// startListener connects and LISTENs before it returns, so that a
// subscriber added after Open receives everything published after it.
func startListener(ctx context.Context, cfg *pgx.ConnConfig, s *Store) (*listener, error) {
	var id [originLen / 2]byte
	rand.Read(id[:])
	l := &listener{cfg: cfg, s: s, origin: hex.EncodeToString(id[:]), done: make(chan struct{})}
	conn, err := l.connect(ctx)
	if err != nil {
		return nil, s.wrapAlways("connecting the bus", err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	l.cancel = cancel
	go l.run(runCtx, conn)
	return l, nil
}

func (l *listener) connect(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, l.cfg.Copy())
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, "LISTEN "+busChannel); err != nil {
		conn.Close(context.Background())
		return nil, err
	}
	return conn, nil
}

func (l *listener) stop() {
	l.cancel()
	<-l.done
}

// run receives notifications on conn, and on a new connection whenever
// it breaks, until ctx ends.
func (l *listener) run(ctx context.Context, conn *pgx.Conn) {
	defer close(l.done)
	backoff := 100 * time.Millisecond
	for {
		if conn != nil {
			backoff = 100 * time.Millisecond
			err := l.receive(ctx, conn)
			conn.Close(context.Background())
			if ctx.Err() != nil {
				return
			}
			l.s.log.Warn("store: the bus lost its database connection; reconnecting", "err", l.s.Wrap(err))
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
		var err error
		if conn, err = l.connect(ctx); err == nil {
			l.s.log.Info("store: the bus reconnected to the database")
		}
	}
}

// receive hands each notification on conn to the subscribers until the
// connection fails or ctx ends.
func (l *listener) receive(ctx context.Context, conn *pgx.Conn) error {
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if err := l.dispatch(ctx, n.Payload); err != nil {
			l.s.log.Warn("store: a bus message could not be read", "err", err)
		}
	}
}

// dispatch decodes one notification and delivers it, unless this Store
// sent it (it delivered it then).
func (l *listener) dispatch(ctx context.Context, msg string) error {
	if len(msg) < 1+originLen || msg[1:1+originLen] == l.origin {
		return nil
	}
	kind, rest := msg[0], msg[1+originLen:]
	channel, data, ok := strings.Cut(rest, "\n")
	if !ok {
		return fmt.Errorf("malformed notification")
	}
	payload, err := l.payload(ctx, kind, data)
	if err != nil {
		return err
	}
	l.s.bus.deliver(channel, payload)
	return nil
}

func (l *listener) payload(ctx context.Context, kind byte, data string) ([]byte, error) {
	switch kind {
	case 'm':
		return []byte(data), nil
	case 'b':
		return base64.StdEncoding.DecodeString(data)
	case 'r':
		id, err := strconv.ParseInt(data, 10, 64)
		if err != nil {
			return nil, err
		}
		var p []byte
		err = l.s.read.QueryRowContext(ctx, `SELECT payload FROM bus WHERE id = $1`, id).Scan(&p)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("bus row %d is gone (older than %v)", id, busRetention)
		}
		return p, err
	}
	return nil, fmt.Errorf("unknown notification kind %q", kind)
}

// publish sends payload to the other replicas through the pool: inline
// when it fits a notification, else through a row of the bus table.
func (l *listener) publish(ctx context.Context, channel string, payload []byte) error {
	var msg string
	switch {
	case utf8.Valid(payload) && !strings.ContainsRune(string(payload), 0):
		msg = "m" + l.origin + channel + "\n" + string(payload)
	default:
		msg = "b" + l.origin + channel + "\n" + base64.StdEncoding.EncodeToString(payload)
	}
	if len(msg) <= maxNotify {
		_, err := l.s.write.ExecContext(ctx, `SELECT pg_notify($1, $2)`, busChannel, msg)
		return l.s.wrapAlways("publishing on the bus", err)
	}
	return l.publishRow(ctx, channel, payload)
}

// publishRow stores a large payload and notifies its row id, in one
// transaction: the notification is sent at commit, when the row is there.
func (l *listener) publishRow(ctx context.Context, channel string, payload []byte) error {
	return l.s.Tx(ctx, true, func(tx *sql.Tx) error {
		now := time.Now()
		if _, err := tx.ExecContext(ctx, `DELETE FROM bus WHERE created < $1`, now.Add(-busRetention).UnixMilli()); err != nil {
			return err
		}
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO bus (channel, payload, created) VALUES ($1, $2, $3) RETURNING id`,
			channel, payload, now.UnixMilli()).Scan(&id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `SELECT pg_notify($1, $2)`, busChannel, "r"+l.origin+channel+"\n"+strconv.FormatInt(id, 10))
		return err
	})
}
