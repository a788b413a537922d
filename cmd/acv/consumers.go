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
// the log (the read models, the statutory clock's schedule, the webhook
// outbox), and the loops that act on what they record (the clock's
// ticker, the webhook deliverer). Each consumer runs under the router of
// the database it writes: on PostgreSQL one router for all three; on
// SQLite one for the read models' file and one for the state file. Any
// number of nodes may run against one database.
type node struct {
	store     eventstore.Store
	dbs       databases
	log       *slog.Logger
	projector *projections.Projector
	consumers []messaging.Consumer
	// routers are the read models' router and then, unless it is the
	// same, the state's.
	routers   []*messaging.Router
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

// newNode migrates the consumers' tables and builds the routers.
func newNode(ctx context.Context, store eventstore.Store, dbs databases, log *slog.Logger, opts nodeOptions) (*node, error) {
	n := &node{store: store, dbs: dbs, log: log}
	read, state := dbs.read, dbs.state
	n.projector = projections.NewProjector(store, read, regimes(), log)
	if err := n.projector.Migrate(ctx); err != nil {
		return nil, err
	}
	if err := messaging.Migrate(ctx, state.SQL, state.Dialect); err != nil {
		return nil, err
	}
	if err := clock.Migrate(ctx, state.SQL, state.Dialect); err != nil {
		return nil, err
	}
	if err := webhooks.Migrate(ctx, state.SQL, state.Dialect); err != nil {
		return nil, err
	}
	assets := eventstore.NewAssets(store, regimes(), uuid.New)
	n.ticker = clock.NewTicker(state.SQL, state.Dialect, assets, clock.Options{Now: time.Now, Logger: log})
	others := []messaging.Consumer{clock.NewSchedule(assets, state.Dialect), webhooks.NewOutbox(store, state.Dialect, time.Now)}
	n.consumers = append([]messaging.Consumer{n.projector}, others...)
	if read.SQL == state.SQL {
		r, err := messaging.NewRouterFor(store, read.SQL, read.Dialect, log, n.consumers...)
		if err != nil {
			return nil, err
		}
		n.routers = []*messaging.Router{r}
	} else {
		r, err := messaging.NewRouterFor(store, read.SQL, read.Dialect, log, n.projector)
		if err != nil {
			return nil, err
		}
		s, err := messaging.NewRouterFor(store, state.SQL, state.Dialect, log, others...)
		if err != nil {
			return nil, err
		}
		n.routers = []*messaging.Router{r, s}
	}
	stateRouter := n.routers[len(n.routers)-1]
	n.deliverer = webhooks.NewDeliverer(state.SQL, state.Dialect, store, webhooks.DelivererOptions{Log: log, Lease: opts.webhooksLease,
		Wake: func() <-chan struct{} { return stateRouter.Advanced(webhooks.ConsumerName) }})
	n.webhooks = webhooks.NewRegistry(state.SQL, state.Dialect, store, webhooks.RegistryOptions{AllowHTTP: opts.webhooksAllowHTTP})
	return n, nil
}

// queues returns each poison queue's database with the consumers whose
// queue it is: the read models' first.
func (n *node) queues() []poisonQueue {
	if len(n.routers) == 1 {
		return []poisonQueue{{n.dbs.read, n.consumers}}
	}
	return []poisonQueue{{n.dbs.read, n.consumers[:1]}, {n.dbs.state, n.consumers[1:]}}
}

// poisonQueue is a database's poison queue and the consumers it holds.
type poisonQueue struct {
	db        projections.DB
	consumers []messaging.Consumer
}

// progress follows the read models' checkpoint for the API.
func (n *node) progress() *messaging.Progress {
	return messaging.NewProgress(n.dbs.read.SQL, n.dbs.read.Dialect, n.store, projections.ConsumerName, n.routers[0])
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
	parts := []func(context.Context) error{n.ticker.Run, n.deliverer.Run}
	for _, r := range n.routers {
		parts = append(parts, r.Run)
	}
	for _, part := range parts {
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
