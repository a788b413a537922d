package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is everything the binary reads from its environment and flags.
// Flags override the environment; the environment overrides defaults.
type Config struct {
	DatabaseURL     string
	DataDir         string
	Addr            string
	LogFormat       string
	LogLevel        string
	ShutdownTimeout time.Duration
	AdminToken      string
	Listen          bool
	// MaxConns caps the PostgreSQL pool. Each consumer holds a connection
	// for its batch's transaction and its handler reads the log on
	// another, so the pool needs at least twice the consumers beside what
	// HTTP requests use.
	MaxConns int
}

// defaultMaxConns is the PostgreSQL pool size of one node: 3 consumers x 2,
// the clock and the webhook deliverer, and room for concurrent requests.
const defaultMaxConns = 25

// SQLitePath is the embedded store's file: the log.
func (c Config) SQLitePath() string { return filepath.Join(c.DataDir, "acv.db") }

// StatePath is the embedded store's state file: the service's state
// other than the read models, beside the log (sqlite.Store.OpenState).
func (c Config) StatePath() string { return filepath.Join(c.DataDir, "state.db") }

// ReadModelsPath is the symbolic link to the SQLite read models' current
// file, in the data directory (see sqlite.ReadModels).
func (c Config) ReadModelsPath() string { return filepath.Join(c.DataDir, "readmodels.db") }

// usesPostgres reports whether the configuration names a PostgreSQL database.
func (c Config) usesPostgres() bool { return c.DatabaseURL != "" }

// newFlagSet declares the flags every command shares, defaulting from the
// environment, and returns the set and the config they fill.
func newFlagSet(name, summary string, getenv func(string) string, stderr io.Writer) (*flag.FlagSet, *Config) {
	env := func(key, def string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return def
	}
	c := &Config{}
	fs := flag.NewFlagSet("acv "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.DatabaseURL, "database-url", getenv("ACV_DATABASE_URL"),
		"PostgreSQL URL (postgres://user:pass@host:5432/db); empty uses the embedded SQLite store [ACV_DATABASE_URL]")
	fs.StringVar(&c.DataDir, "data-dir", env("ACV_DATA_DIR", "data"),
		"directory of the embedded SQLite store, used when no database URL is set [ACV_DATA_DIR]")
	fs.IntVar(&c.MaxConns, "db-max-conns", envInt(getenv, "ACV_DB_MAX_CONNS", defaultMaxConns),
		"most PostgreSQL connections this process opens [ACV_DB_MAX_CONNS]")
	fs.StringVar(&c.LogFormat, "log-format", env("ACV_LOG_FORMAT", "text"),
		"log format: text (for people) or json (for log collectors) [ACV_LOG_FORMAT]")
	fs.StringVar(&c.LogLevel, "log-level", env("ACV_LOG_LEVEL", "info"),
		"least severe level logged: debug, info, warn or error [ACV_LOG_LEVEL]")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: acv %s [flags]\n\n%s\n\nFlags (each also read from the environment variable in brackets):\n", name, summary)
		fs.PrintDefaults()
	}
	return fs, c
}

// envInt reads an integer setting from the environment; a value that is
// not a positive integer gives def (the flag can still set it).
func envInt(getenv func(string) string, key string, def int) int {
	if n, err := strconv.Atoi(getenv(key)); err == nil && n > 0 {
		return n
	}
	return def
}

// envDuration reads a duration setting from the environment; a value that
// is not a positive duration gives def.
func envDuration(getenv func(string) string, key string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(getenv(key)); err == nil && d > 0 {
		return d
	}
	return def
}

// parse parses args, turning -help and bad flags into errUsage. A command
// that takes no arguments besides flags refuses any.
func parse(fs *flag.FlagSet, args []string) error {
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return errUsage
	}
	return nil
}

// parseFlags parses args, leaving arguments after the flags in fs.Args().
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return errUsage
	}
	return nil
}

// errHelp means --help was asked for and printed; the command succeeds.
var errHelp = errors.New("help shown")

func (c Config) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return nil, fmt.Errorf("log level %q: want debug, info, warn or error", c.LogLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(c.LogFormat) {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log format %q: want text or json", c.LogFormat)
}
