package messaging

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/acv-registry/acv/eventstore"
)

// topic is the one topic consumers subscribe to: the log.
const topic = "events"

// Source is what a backend gives the router: how to begin the subscribers'
// transactions and how to read its events table and keep offsets
// (postgres.ConsumerSchema and ConsumerOffsets, or SQLite's).
type Source struct {
	Beginner wsql.Beginner
	Schema   wsql.SchemaAdapter
	Offsets  wsql.OffsetsAdapter
}

// Config configures a [Router].
type Config struct {
	Source Source
	// Store is the log; its change signal wakes the consumers.
	Store eventstore.Store
	// DB is the consumers' database (the log's), for the poison queue.
	DB      *sql.DB
	Dialect eventstore.Dialect
	Log     *slog.Logger
	// Now stamps poisoned events. Default time.Now.
	Now func() time.Time
	// Poll is the longest a consumer waits for a wake-up before it looks
	// at the log anyway (default 250ms).
	Poll time.Duration
	// Retries is how many times a failing event is retried, with
	// exponential backoff from RetryInterval, before it is poisoned
	// (defaults 3 and 100ms).
	Retries       int
	RetryInterval time.Duration
}

// Router runs every consumer under one Watermill router: a watermill-sql
// subscriber per consumer group over the events table, woken through a
// GoChannel when the log grows, with Recoverer, Retry and the poison queue.
type Router struct {
	cfg       Config
	consumers []Consumer
	log       *slog.Logger

	mu       sync.Mutex
	advanced map[string]*eventstore.Signal
}

// NewRouter returns a router for consumers. Call [Migrate] first.
func NewRouter(cfg Config, consumers ...Consumer) (*Router, error) {
	if cfg.Source.Beginner == nil || cfg.Source.Schema == nil || cfg.Source.Offsets == nil {
		return nil, errors.New("messaging: the router needs a source")
	}
	if cfg.Store == nil || cfg.DB == nil {
		return nil, errors.New("messaging: the router needs the store and its database")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Poll <= 0 {
		cfg.Poll = eventstore.DefaultPollInterval
	}
	if cfg.Retries <= 0 {
		cfg.Retries = 3
	}
	if cfg.RetryInterval <= 0 {
		cfg.RetryInterval = 100 * time.Millisecond
	}
	r := &Router{cfg: cfg, consumers: consumers, log: cfg.Log, advanced: map[string]*eventstore.Signal{}}
	seen := map[string]bool{}
	for _, c := range consumers {
		if seen[c.Name()] {
			return nil, fmt.Errorf("messaging: two consumers are named %q", c.Name())
		}
		seen[c.Name()] = true
		r.advanced[c.Name()] = &eventstore.Signal{}
	}
	return r, nil
}

// Advanced returns a channel closed the next time the named consumer
// commits a batch in this process.
func (r *Router) Advanced(name string) <-chan struct{} {
	r.mu.Lock()
	s, ok := r.advanced[name]
	if !ok {
		s = &eventstore.Signal{}
		r.advanced[name] = s
	}
	r.mu.Unlock()
	return s.Wait()
}

func (r *Router) notify(name string) {
	r.mu.Lock()
	s := r.advanced[name]
	r.mu.Unlock()
	if s != nil {
		s.Notify()
	}
}

// Run runs the consumers until ctx ends, then closes them, letting the
// batch in hand finish (its transaction commits or rolls back whole).
func (r *Router) Run(ctx context.Context) error {
	wlog := watermill.NewSlogLoggerWithLevelMapping(r.log, map[slog.Level]slog.Level{slog.LevelInfo: slog.LevelDebug})
	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: 30 * time.Second}, wlog)
	if err != nil {
		return fmt.Errorf("messaging: %w", err)
	}
	poison, err := middleware.PoisonQueue(poisonPublisher{dialect: r.cfg.Dialect, now: r.cfg.Now}, PoisonTable)
	if err != nil {
		return fmt.Errorf("messaging: %w", err)
	}
	// The first middleware is the outermost: the transaction is held for
	// the whole chain (guard.go); an event the retries could not handle
	// goes to the poison queue, and the consumer moves on.
	router.AddMiddleware(
		holdTx,
		poison,
		middleware.Retry{MaxRetries: r.cfg.Retries, InitialInterval: r.cfg.RetryInterval, MaxInterval: 5 * time.Second,
			Multiplier: 2, RandomizationFactor: 0.2, Logger: wlog}.Middleware,
		middleware.Recoverer,
	)

	bus := newBus(wlog)
	defer bus.Close()
	busCtx, stopBus := context.WithCancel(ctx)
	defer stopBus()
	var wg sync.WaitGroup
	defer wg.Wait()
	for _, c := range r.consumers {
		wakeups, err := bus.Subscribe(busCtx, wakeTopic)
		if err != nil {
			return fmt.Errorf("messaging: %w", err)
		}
		name := c.Name()
		w := newWaker(r.cfg.Poll, time.Second, ctx.Done(), func() { r.notify(name); wake(bus) })
		wg.Add(1)
		go func() { defer wg.Done(); w.listen(wakeups) }()
		noDeadline := time.Duration(0)
		sub, err := wsql.NewSubscriber(guardedBeginner{r.cfg.Source.Beginner}, wsql.SubscriberConfig{
			ConsumerGroup:  name,
			SchemaAdapter:  r.cfg.Source.Schema,
			OffsetsAdapter: r.cfg.Source.Offsets,
			BackoffManager: w,
			PollInterval:   r.cfg.Poll,
			// No ack deadline: a subscriber that gave up on a slow
			// handler would end the transaction under it while the
			// handler still uses it (a pgx connection is not safe for
			// two goroutines). Handlers end on their own or with ctx.
			AckDeadline: &noDeadline,
		}, wlog)
		if err != nil {
			return fmt.Errorf("messaging: subscriber %s: %w", name, err)
		}
		router.AddConsumerHandler(name, topic, sub, r.handler(c))
	}
	wg.Add(1)
	go func() { defer wg.Done(); relayChanges(busCtx, r.cfg.Store, bus) }()

	if err := router.Run(ctx); err != nil {
		return fmt.Errorf("messaging: router: %w", err)
	}
	return nil
}

// Consumers returns the names of the router's consumer groups.
func (r *Router) Consumers() []string {
	names := make([]string, len(r.consumers))
	for i, c := range r.consumers {
		names[i] = c.Name()
	}
	return names
}
