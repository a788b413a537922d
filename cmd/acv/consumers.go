package main

import (
	"context"
	"log/slog"

	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/messaging"
	"github.com/acv-registry/acv/projections"
)

// node is what one `acv serve` process runs besides HTTP: the consumers of
// the log under one router.
type node struct {
	store     eventstore.Store
	db        projections.DB
	log       *slog.Logger
	projector *projections.Projector
	consumers []messaging.Consumer
	router    *messaging.Router
}

// newNode migrates the consumers' tables and builds the router.
func newNode(ctx context.Context, store eventstore.Store, db projections.DB, log *slog.Logger) (*node, error) {
	n := &node{store: store, db: db, log: log}
	n.projector = projections.NewProjector(store, db, regimes(), log)
	if err := n.projector.Migrate(ctx); err != nil {
		return nil, err
	}
	n.consumers = []messaging.Consumer{n.projector}
	var err error
	n.router, err = messaging.NewRouterFor(store, db.SQL, db.Dialect, log, n.consumers...)
	if err != nil {
		return nil, err
	}
	return n, nil
}

// progress follows the read models' checkpoint for the API.
func (n *node) progress() *messaging.Progress {
	return messaging.NewProgress(n.db.SQL, n.db.Dialect, n.store, projections.ConsumerName, n.router)
}

// run runs the consumers until ctx ends.
func (n *node) run(ctx context.Context) error {
	return n.router.Run(ctx)
}
