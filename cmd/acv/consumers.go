package main

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/acv-registry/acv/clock"
	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/messaging"
	"github.com/acv-registry/acv/projections"
	"github.com/acv-registry/acv/webhooks"
	"github.com/google/uuid"
)

// node is what one `acv serve` process runs besides HTTP: the consumers of
// the log under one router (the read models, the statutory clock's
// schedule, the webhook outbox), and the loops that act on what they
// record (the clock's ticker, the webhook deliverer). Any number of nodes may run against one database.
type node struct {
	store     eventstore.Store
	db        projections.DB
	log       *slog.Logger
	projector *projections.Projector
	consumers []messaging.Consumer
	router    *messaging.Router
	ticker    *clock.Ticker
	deliverer *webhooks.Deliverer
	// webhooks manages subscriptions, for the API.
	webhooks *webhooks.Registry
}

// nodeOptions are the settings of a node beyond its store.
type nodeOptions struct {
	// webhooksAllowHTTP lets webhook subscriptions name http:// targets
	// (development and tests; production targets must be https).
	webhooksAllowHTTP bool
	// webhooksLease is how long a claim on a delivery lasts (the
	// deliverer's default when zero).
	webhooksLease time.Duration
}

// newNode migrates the consumers' tables and builds the router.
func newNode(ctx context.Context, store eventstore.Store, db projections.DB, log *slog.Logger, opts nodeOptions) (*node, error) {
	n := &node{store: store, db: db, log: log}
	n.projector = projections.NewProjector(store, db, regimes(), log)
	if err := n.projector.Migrate(ctx); err != nil {
		return nil, err
	}
	if err := clock.Migrate(ctx, db.SQL, db.Dialect); err != nil {
		return nil, err
	}
	if err := webhooks.Migrate(ctx, db.SQL, db.Dialect); err != nil {
		return nil, err
	}
	assets := eventstore.NewAssets(store, regimes(), uuid.New)
	n.ticker = clock.NewTicker(db.SQL, db.Dialect, assets, clock.Options{Now: time.Now, Logger: log})
	n.consumers = []messaging.Consumer{n.projector, clock.NewSchedule(assets, db.Dialect),
		webhooks.NewOutbox(store, db.Dialect, time.Now)}
	var err error
	n.router, err = messaging.NewRouterFor(store, db.SQL, db.Dialect, log, n.consumers...)
	if err != nil {
		return nil, err
	}
	n.deliverer = webhooks.NewDeliverer(db.SQL, db.Dialect, store, webhooks.DelivererOptions{Log: log, Lease: opts.webhooksLease,
		Wake: func() <-chan struct{} { return n.router.Advanced(webhooks.ConsumerName) }})
	n.webhooks = webhooks.NewRegistry(db.SQL, db.Dialect, store, webhooks.RegistryOptions{AllowHTTP: opts.webhooksAllowHTTP})
	return n, nil
}

// progress follows the read models' checkpoint for the API.
func (n *node) progress() *messaging.Progress {
	return messaging.NewProgress(n.db.SQL, n.db.Dialect, n.store, projections.ConsumerName, n.router)
}

// run runs the consumers, the clock's ticker and the webhook deliverer until ctx ends, or until one of
// them fails, which stops the others.
func (n *node) run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, part := range []func(context.Context) error{n.router.Run, n.ticker.Run, n.deliverer.Run} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := part(ctx); err != nil && ctx.Err() == nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
			cancel()
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
