package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	sqlite "modernc.org/sqlite"
)

// The read models live in a file of their own, replaced whole.
//
// A rebuild used to write a fresh set of tables into the state file beside
// the live set, rename them in and drop the set they replaced. In SQLite
// that drop reads every page of the replaced set to free it (cold, 6-7 s
// of a 25-30 s rebuild at 10^6 events), and every fresh page went through
// the write-ahead log before it reached the file. Now each rebuild writes a
// generation file of its own, with no journal and no syncs (nothing reads
// it until it is published), syncs it once, and points a symbolic link at
// it; the generation it replaced is retired by deleting its file, which
// reads nothing (docs/performance.md).
//
// The handle of [Store.OpenReadModels] follows the link: a connection
// opens the file the link names, and a connection the pool hands out again
// checks first that the link still names its file (a readlink; a
// connection of a retired generation is discarded and a new one opened).
// So every process on the data directory moves to a published generation
// at its next statement, `acv serve` beside `acv rebuild` included. The
// read models' offset (their consumer's row of consumer_offsets) lives in
// the generation's file with them, so rows and offset stay one
// transaction, and a generation starts at the offset its rebuild reached.
// A projector's batch still in hand on a retired generation commits into
// that file (or fails, once it is deleted) and is done again on the new
// one: rows are derived from whole histories, so that is harmless.
//
// One rebuild publishes at a time: a rebuild holds an advisory lock on
// the link's lock file from its start to its publication, and deletes the
// generation files a crashed rebuild left.

// ReadModels is the read models' database: the current generation's file,
// named by a symbolic link. It is safe for concurrent use.
type ReadModels struct {
	store   *Store
	link    string // the symbolic link naming the current generation's file
	pragmas string // [Pragmas] and the caller's
	cache   string // the caller's pragmas, for a fresh generation
	db      *sql.DB
}

// readModelsIdle is how long a connection may sit idle in the pool: one
// left on a retired generation holds its deleted file's disk until it is
// closed.
const readModelsIdle = time.Minute

// OpenReadModels opens the read models' database behind the symbolic link
// at link, creating an empty first generation when there is none. Its
// connections have [Pragmas] and then pragmas (modernc's DSN form, "" for
// none), begin their transactions IMMEDIATE, take their turns at the write
// lock (turn.go) and see the log read-only as the schema "log", as the
// state file's do ([Store.OpenState]). The caller closes it.
func (s *Store) OpenReadModels(ctx context.Context, link, pragmas string) (*ReadModels, error) {
	r := &ReadModels{store: s, link: link, pragmas: Pragmas, cache: pragmas}
	if pragmas != "" {
		r.pragmas += "&" + pragmas
	}
	if _, err := os.Readlink(link); errors.Is(err, os.ErrNotExist) {
		if err := r.first(ctx); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, fmt.Errorf("sqlite: read models: %s must be a symbolic link to their file: %w", link, err)
	}
	// The pool opens poolConns connections at most and keeps them all.
	// With database/sql's defaults (no bound, two kept) every request past
	// the second of a burst opened a connection of its own (the schema
	// read, the log attached, a cold page cache) and closed it after: 64
	// clients of the uncached register were served 430-490 requests a
	// second, fewer than 2 (650-820), and 770-840 with eight kept
	// (docs/performance.md). PostgreSQL's pool is bounded too.
	r.db = sql.OpenDB(followConnector{r})
	r.db.SetMaxOpenConns(poolConns())
	r.db.SetMaxIdleConns(poolConns())
	r.db.SetConnMaxIdleTime(readModelsIdle)
	return r, nil
}

// first publishes an empty generation, unless another process did so
// while this one waited for the lock.
func (r *ReadModels) first(ctx context.Context) error {
	unlock, err := lockFile(r.link + ".lock")
	if err != nil {
		return fmt.Errorf("sqlite: read models: %w", err)
	}
	defer unlock()
	if _, err := os.Readlink(r.link); err == nil {
		return nil
	}
	f, err := r.fresh(ctx, func() {})
	if err != nil {
		return err
	}
	return f.Publish(ctx)
}

// DB returns the handle on the current generation.
func (r *ReadModels) DB() *sql.DB { return r.db }

// Close closes the handle.
func (r *ReadModels) Close() error { return r.db.Close() }

// Path returns the file of the current generation.
func (r *ReadModels) Path() (string, error) {
	name, err := os.Readlink(r.link)
	if err != nil {
		return "", fmt.Errorf("sqlite: read models: %w", err)
	}
	return filepath.Join(filepath.Dir(r.link), name), nil
}

// generationName returns the file name of a generation started at t:
// the link's name with the time in base 36 before its extension.
func (r *ReadModels) generationName(t time.Time) string {
	base := filepath.Base(r.link)
	ext := filepath.Ext(base)
	return strings.TrimSuffix(base, ext) + "-" + strconv.FormatInt(t.UnixNano(), 36) + ext
}

// isGeneration says whether name is a generation file of the link's.
func (r *ReadModels) isGeneration(name string) bool {
	base := filepath.Base(r.link)
	ext := filepath.Ext(base)
	return strings.HasPrefix(name, strings.TrimSuffix(base, ext)+"-") && strings.HasSuffix(name, ext)
}

// Fresh starts a new generation for a rebuild: an empty file, which it
// deletes with whatever generation files a crashed rebuild left, and
// holds the lock against other rebuilds until the generation is
// published or discarded.
func (r *ReadModels) Fresh(ctx context.Context) (*Fresh, error) {
	unlock, err := lockFile(r.link + ".lock")
	if err != nil {
		return nil, fmt.Errorf("sqlite: read models: %w", err)
	}
	if err := r.removeLeftovers(); err != nil {
		unlock()
		return nil, err
	}
	f, err := r.fresh(ctx, unlock)
	if err != nil {
		unlock()
		return nil, err
	}
	return f, nil
}

// fresh creates a generation's file, opened for building.
func (r *ReadModels) fresh(ctx context.Context, unlock func()) (*Fresh, error) {
	name := r.generationName(r.store.now())
	path := filepath.Join(filepath.Dir(r.link), name)
	fh, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("sqlite: read models: new generation: %w", err)
	}
	fh.Close()
	// No journal and no syncs: a generation is read by nothing until
	// Publish has synced it, and a failed rebuild deletes it.
	pragmas := fmt.Sprintf("_pragma=page_size(%d)&_pragma=journal_mode(OFF)&_pragma=synchronous(OFF)&_pragma=busy_timeout(60000)", PageSize)
	if r.cache != "" {
		pragmas += "&" + r.cache
	}
	db, err := openDB(path, pragmas, newTurns(), "")
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("sqlite: read models: open new generation: %w", err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		os.Remove(path)
		return nil, fmt.Errorf("sqlite: read models: open new generation: %w", err)
	}
	return &Fresh{r: r, name: name, path: path, db: db, unlock: unlock}, nil
}

// removeLeftovers deletes the generation files that are not the current
// one: those of rebuilds that stopped before they published. The caller
// holds the lock, so no other rebuild is writing one.
func (r *ReadModels) removeLeftovers() error {
	current, err := os.Readlink(r.link)
	if err != nil {
		return fmt.Errorf("sqlite: read models: %w", err)
	}
	dir := filepath.Dir(r.link)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("sqlite: read models: %w", err)
	}
	for _, e := range entries {
		name := strings.TrimSuffix(strings.TrimSuffix(e.Name(), "-wal"), "-shm")
		if name == current || !r.isGeneration(name) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("sqlite: read models: remove a stopped rebuild's file: %w", err)
		}
	}
	return nil
}

// Fresh is a generation being built.
type Fresh struct {
	r      *ReadModels
	name   string
	path   string
	db     *sql.DB
	unlock func()
	done   bool
	ahead  chan error // SyncAhead's sync, if one was started: its result
}

// SyncAhead starts syncing to disk, on a goroutine of its own, what has
// been written to the generation so far, while the rebuild goes on
// writing: Publish then waits for it, and its own sync has only what was
// written after to flush. A rebuild calls it once its tables' rows are in
// (at 10^6 events, 0.3 s of Publish's 0.38 s sync done beside the index
// builds instead of after them). Publish reports the sync's error, which
// its own sync, on a descriptor opened later, might not see. Only the
// first call starts one.
func (f *Fresh) SyncAhead() {
	if f.ahead != nil || f.done {
		return
	}
	f.ahead = make(chan error, 1)
	go func() { f.ahead <- syncPath(f.path) }()
}

// waitAhead waits for SyncAhead's sync, if one was started, and returns
// its error.
func (f *Fresh) waitAhead() error {
	if f.ahead == nil {
		return nil
	}
	err := <-f.ahead
	f.ahead <- err // for a later call
	return err
}

// DB returns the handle the rebuild writes through. Its connections have
// no journal: a statement or transaction that fails leaves the file
// unusable, so the rebuild discards it.
func (f *Fresh) DB() *sql.DB { return f.db }

// Publish makes the generation the read models: it closes the handle,
// puts the file in WAL mode, syncs it and then the link's directory,
// points the link at it, and deletes the generation it replaced. Every
// handle of [Store.OpenReadModels], in any process, moves to it at its
// next statement.
func (f *Fresh) Publish(ctx context.Context) error {
	if f.done {
		return errors.New("sqlite: read models: generation already published or discarded")
	}
	if err := f.db.Close(); err != nil {
		return fmt.Errorf("sqlite: read models: close new generation: %w", err)
	}
	if err := f.waitAhead(); err != nil {
		return err
	}
	if err := walMode(ctx, f.path); err != nil {
		return err
	}
	if err := syncPath(f.path); err != nil {
		return err
	}
	dir := filepath.Dir(f.r.link)
	previous, _ := os.Readlink(f.r.link) // none for the first generation
	tmp := f.r.link + ".new"
	os.Remove(tmp)
	if err := os.Symlink(f.name, tmp); err != nil {
		return fmt.Errorf("sqlite: read models: publish: %w", err)
	}
	if err := os.Rename(tmp, f.r.link); err != nil {
		return fmt.Errorf("sqlite: read models: publish: %w", err)
	}
	// Published: from here on the file is the read models', which
	// Discard must not delete, whatever fails after.
	f.done = true
	f.unlock()
	if err := syncPath(dir); err != nil {
		return fmt.Errorf("sqlite: read models: published, but not yet durably: %w", err)
	}
	// Close this process's idle connections to the retired generation
	// now; the others meet the link at their next use.
	if f.r.db != nil {
		f.r.db.SetMaxIdleConns(0)
		f.r.db.SetMaxIdleConns(poolConns())
	}
	if previous != "" && previous != f.name {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if err := os.Remove(filepath.Join(dir, previous+suffix)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("sqlite: read models: published, but the retired generation's file is left: %w", err)
			}
		}
	}
	return nil
}

// Discard deletes the generation's file, unless it was published.
func (f *Fresh) Discard() error {
	if f.done {
		return nil
	}
	f.done = true
	defer f.unlock()
	f.db.Close()
	f.waitAhead() // its error is moot: the file goes
	var errs []error
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		if err := os.Remove(f.path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlite: read models: discard new generation: %w", err)
	}
	return nil
}

// walMode puts the file at path in WAL mode, as every handle opens it.
func walMode(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?_pragma=busy_timeout(60000)&_pragma=synchronous(FULL)")
	if err != nil {
		return fmt.Errorf("sqlite: read models: %w", err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `PRAGMA journal_mode = WAL`); err != nil {
		return fmt.Errorf("sqlite: read models: WAL mode: %w", err)
	}
	return nil
}

// syncPath syncs the file or directory at path.
func syncPath(path string) error {
	fh, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("sqlite: read models: sync: %w", err)
	}
	defer fh.Close()
	if err := fh.Sync(); err != nil {
		return fmt.Errorf("sqlite: read models: sync %s: %w", path, err)
	}
	return nil
}

// followConnector opens connections on the generation the link names.
type followConnector struct{ r *ReadModels }

func (c followConnector) Connect(ctx context.Context) (driver.Conn, error) {
	r := c.r
	log := "file:" + (&url.URL{Path: r.store.path}).EscapedPath() + "?mode=ro"
	for range 3 {
		name, err := os.Readlink(r.link)
		if err != nil {
			return nil, fmt.Errorf("sqlite: read models: %w", err)
		}
		// mode=rw: a generation retired meanwhile is not created again.
		tc, err := newTurnConnector(filepath.Join(filepath.Dir(r.link), name), "mode=rw&"+r.pragmas, r.store.stateTurns(r.link), log)
		if err != nil {
			return nil, err
		}
		conn, err := tc.Connect(ctx)
		now, lerr := os.Readlink(r.link)
		if lerr == nil && now != name {
			if err == nil {
				conn.Close()
			}
			continue // published while this connected
		}
		if err != nil {
			return nil, err
		}
		return &followConn{turnConn: conn.(*turnConn), link: r.link, name: name}, nil
	}
	return nil, errors.New("sqlite: read models: a new generation was published three times while connecting")
}

func (c followConnector) Driver() driver.Driver { return &sqlite.Driver{} }

// followConn is a connection on one generation.
type followConn struct {
	*turnConn
	link string
	name string
}

// ResetSession discards the connection when the link names another
// generation: database/sql then opens one on that.
func (c *followConn) ResetSession(ctx context.Context) error {
	if now, err := os.Readlink(c.link); err != nil || now != c.name {
		return driver.ErrBadConn
	}
	return c.turnConn.ResetSession(ctx)
}
