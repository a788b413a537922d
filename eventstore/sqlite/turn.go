package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"time"

	"golang.org/x/sync/semaphore"
	sqlite "modernc.org/sqlite"
)

// Writers take turns.
//
// SQLite has one write lock a file. A connection that finds it taken
// sleeps and tries again (busy_timeout: after 1, 2, 5 ... ms, then every
// 100 ms), so a writer that commits and begins again at once - a consumer
// catching up, batch after batch - holds the lock almost every time the
// sleeper looks. At 10^6 events API writes waited 60 s and failed with
// SQLITE_BUSY while the webhooks outbox made its first pass over the log,
// and the other consumers stalled beside it (docs/performance.md).
//
// So within a process every writer on a file queues for the lock first,
// first come first served: the store's own writes on the log's file, and
// those of every handle the store opened on a state file
// ([Store.OpenState]). A transaction on these
// handles begins IMMEDIATE, so it is a writer from its start: it holds its
// turn from BEGIN to COMMIT or ROLLBACK. A statement run outside a
// transaction through Exec holds a turn for its length; one run through
// Query does not (those are the reads), so a statement that writes and
// returns rows must run in a transaction to take its turn. Writers in
// other processes (`acv rebuild` beside `acv serve`) still meet SQLite's
// busy handler.

// turnTimeout is how long a writer waits for its turn before it gives up:
// the busy timeout of [Pragmas], which SQLite would otherwise have given it.
const turnTimeout = 60 * time.Second

// errNoTurn is returned, wrapped, when a writer waited turnTimeout.
var errNoTurn = errors.New("sqlite: the write lock stayed taken")

// turns is the queue for one file's write lock.
type turns struct {
	sem     *semaphore.Weighted // one holder; waiters served in order
	timeout time.Duration
}

func newTurns() *turns { return &turns{sem: semaphore.NewWeighted(1), timeout: turnTimeout} }

// take waits for the caller's turn, until ctx is done or t.timeout passes.
func (t *turns) take(ctx context.Context) error {
	wait, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	if err := t.sem.Acquire(wait, 1); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%w for %s", errNoTurn, t.timeout)
	}
	return nil
}

func (t *turns) give() { t.sem.Release(1) }

// openDB opens a handle on the SQLite file at path whose transactions
// begin IMMEDIATE and whose writers take their turns at t. Unless log is
// "", each connection attaches the database at log (a URI) as the schema
// "log".
func openDB(path, pragmas string, t *turns, log string) (*sql.DB, error) {
	c, err := newTurnConnector(path, pragmas, t, log)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(c), nil
}

// newTurnConnector is [openDB]'s connector.
func newTurnConnector(path, pragmas string, t *turns, log string) (turnConnector, error) {
	base, err := sqlite.NewConnector("file:" + (&url.URL{Path: path}).EscapedPath() + "?" + pragmas + "&_txlock=immediate")
	if err != nil {
		return turnConnector{}, err
	}
	return turnConnector{base, t, log}, nil
}

// turnConnector hands out connections that take turns, with the database
// at log attached unless it is "".
type turnConnector struct {
	base  driver.Connector
	turns *turns
	log   string
}

func (c turnConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.base.Connect(ctx)
	if err != nil {
		return nil, err
	}
	sc := conn.(sqliteConn)
	if c.log != "" {
		if _, err := sc.ExecContext(ctx, `ATTACH DATABASE ? AS log`, []driver.NamedValue{{Ordinal: 1, Value: c.log}}); err != nil {
			sc.Close()
			return nil, fmt.Errorf("attach the log: %w", err)
		}
	}
	return &turnConn{conn: sc, turns: c.turns}, nil
}

func (c turnConnector) Driver() driver.Driver { return c.base.Driver() }

// sqliteConn is what modernc.org/sqlite's connections implement and
// database/sql uses.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// turnConn is a connection whose transactions and Exec statements hold a
// turn. database/sql uses a connection on one goroutine at a time, so its
// fields need no lock.
type turnConn struct {
	conn  sqliteConn
	turns *turns
	held  bool // a transaction holds the turn
}

func (c *turnConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if err := c.turns.take(ctx); err != nil {
		return nil, err
	}
	tx, err := c.conn.BeginTx(ctx, opts)
	if err != nil {
		c.turns.give()
		return nil, err
	}
	c.held = true
	return &turnTx{tx: tx, conn: c}, nil
}

// end gives the transaction's turn back, once.
func (c *turnConn) end() {
	if c.held {
		c.held = false
		c.turns.give()
	}
}

func (c *turnConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if c.held {
		return c.conn.ExecContext(ctx, query, args)
	}
	if err := c.turns.take(ctx); err != nil {
		return nil, err
	}
	defer c.turns.give()
	return c.conn.ExecContext(ctx, query, args)
}

func (c *turnConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	return c.conn.QueryContext(ctx, query, args)
}

func (c *turnConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.conn.PrepareContext(ctx, query)
}

func (c *turnConn) Prepare(query string) (driver.Stmt, error) { return c.conn.Prepare(query) }

// Begin is never called: database/sql uses BeginTx.
func (c *turnConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *turnConn) Close() error {
	c.end()
	return c.conn.Close()
}

func (c *turnConn) Ping(ctx context.Context) error         { return c.conn.Ping(ctx) }
func (c *turnConn) ResetSession(ctx context.Context) error { return c.conn.ResetSession(ctx) }
func (c *turnConn) IsValid() bool                          { return c.conn.IsValid() }

// turnTx gives its connection's turn back when it ends.
type turnTx struct {
	tx   driver.Tx
	conn *turnConn
}

func (t *turnTx) Commit() error {
	defer t.conn.end()
	return t.tx.Commit()
}

func (t *turnTx) Rollback() error {
	defer t.conn.end()
	return t.tx.Rollback()
}
