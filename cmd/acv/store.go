package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/eventstore/postgres"
	"github.com/acv-registry/acv/eventstore/sqlite"
)

// openStore opens the configured backend and migrates it.
func openStore(ctx context.Context, c Config, log *slog.Logger) (eventstore.Store, error) {
	if c.usesPostgres() {
		s, err := postgres.Open(ctx, c.DatabaseURL, postgres.Options{Now: time.Now, Logger: log, Listen: c.Listen, MaxConns: int32(c.MaxConns)})
		if err != nil {
			return nil, err
		}
		log.Info("event log opened", "backend", "postgres")
		return s, nil
	}
	s, err := sqlite.Open(ctx, c.SQLitePath(), sqlite.Options{Now: time.Now})
	if err != nil {
		return nil, fmt.Errorf("open embedded store: %w", err)
	}
	log.Info("event log opened", "backend", "sqlite", "path", c.SQLitePath())
	return s, nil
}

// openLogged makes the logger the configuration asks for, writing to w,
// and opens the store with it.
func openLogged(ctx context.Context, c Config, w io.Writer) (eventstore.Store, *slog.Logger, error) {
	log, err := c.logger(w)
	if err != nil {
		return nil, nil, err
	}
	store, err := openStore(ctx, c, log)
	if err != nil {
		return nil, nil, err
	}
	return store, log, nil
}
