package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/acv-registry/acv/api"
	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/internal/demo"
	"github.com/acv-registry/acv/projections"
	"github.com/google/uuid"
)

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs, c := newFlagSet("serve", "Serve the HTTP API. Migrates the store first; stops gracefully on SIGINT or SIGTERM.", getenv, stderr)
	fs.StringVar(&c.Addr, "addr", envOr(getenv, "ACV_ADDR", "127.0.0.1:8080"), "address to listen on, host:port [ACV_ADDR]")
	fs.StringVar(&c.AdminToken, "admin-token", getenv("ACV_ADMIN_TOKEN"), "a bearer token with the administrator role; empty: none [ACV_ADMIN_TOKEN]")
	demoSeed := fs.Bool("demo", false, "seed a demo registry (three councils, a dozen assets across the lifecycle) if the store is empty")
	allowHTTP := fs.Bool("webhooks-allow-http", envOr(getenv, "ACV_WEBHOOKS_ALLOW_HTTP", "") == "true",
		"let webhook subscriptions name http:// targets (development only; production targets must be https) [ACV_WEBHOOKS_ALLOW_HTTP=true]")
	lease := fs.Duration("webhooks-lease", envDuration(getenv, "ACV_WEBHOOKS_LEASE", time.Minute),
		"how long a node's claim on a webhook delivery lasts before another node may retry it [ACV_WEBHOOKS_LEASE]")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 15*time.Second, "how long in-flight requests may take to finish on shutdown")
	tokenRate := fs.String("write-rate-token", envOr(getenv, "ACV_WRITE_RATE_TOKEN", defaultTokenRate),
		"writes one bearer token may make: N/s:BURST, N/m:BURST or off (429 with Retry-After beyond it) [ACV_WRITE_RATE_TOKEN]")
	addrRate := fs.String("write-rate-address", envOr(getenv, "ACV_WRITE_RATE_ADDRESS", defaultAddressRate),
		"writes one client address may make: N/s:BURST, N/m:BURST or off [ACV_WRITE_RATE_ADDRESS]")
	proxies := fs.String("trusted-proxies", getenv("ACV_TRUSTED_PROXIES"),
		"load balancers whose X-Forwarded-For is believed, comma-separated CIDRs; empty: none [ACV_TRUSTED_PROXIES]")
	if err := parse(fs, args); err != nil {
		return helpOK(err)
	}
	limits, err := writeLimits(*tokenRate, *addrRate, *proxies)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return errUsage
	}
	c.Listen = true
	o, err := openAll(ctx, *c, stderr)
	if err != nil {
		return err
	}
	defer o.Close()
	store, db, log := o.store, o.dbs.state, o.log
	assets := eventstore.NewAssets(store, regimes(), uuid.New)
	if *demoSeed {
		if err := seedDemo(ctx, store, assets, log); err != nil {
			return err
		}
	}
	n, err := newNode(ctx, store, o.dbs, log, nodeOptions{webhooksAllowHTTP: *allowHTTP, webhooksLease: *lease})
	if err != nil {
		return err
	}
	nodeCtx, stopNode := context.WithCancel(ctx)
	nodeDone := make(chan error, 1)
	go func() { nodeDone <- n.run(nodeCtx); close(nodeDone) }()
	defer func() { stopNode(); <-nodeDone }() // a closed channel once the select below took the error
	progress := n.progress()
	// Idempotency-Keys live in the state's database, shared by every node.
	if err := api.MigrateIdempotency(ctx, db.SQL, db.Dialect); err != nil {
		return err
	}
	idem := api.NewSQLIdempotency(db.SQL, db.Dialect, api.SQLIdempotencyOptions{Log: log})
	// API tokens live there too, as hashes.
	if err := api.MigrateTokens(ctx, db.SQL, db.Dialect); err != nil {
		return err
	}
	orgs := eventstore.NewOrganisations(store, uuid.New)
	tokens := api.NewTokens(db.SQL, db.Dialect, orgs, api.TokenOptions{Now: time.Now})
	if err := firstAdministrator(ctx, c.AdminToken, tokens, log, stderr); err != nil {
		return err
	}

	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.Addr, err)
	}
	handler := api.New(api.Deps{
		Store:         store,
		Assets:        assets,
		Reader:        &projections.Queries{DB: o.dbs.read, Log: store, Regimes: regimes()},
		Waiter:        progress,
		Checkpoints:   progress,
		Now:           time.Now,
		NewID:         uuid.New,
		Log:           log,
		AdminToken:    c.AdminToken,
		Tokens:        tokens,
		Organisations: orgs,
		Limits:        limits,
		Idempotency:   idem,
		Webhooks:      n.webhooks,
	})
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	srv.RegisterOnShutdown(handler.CloseStreams) // Shutdown does not interrupt open event streams
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("serving", "addr", ln.Addr().String())
	fmt.Fprintf(stdout, "acv: serving on http://%s\n", ln.Addr())

	var nodeErr error
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case nodeErr = <-nodeDone:
		// The consumers stopped on their own: a node that serves writes
		// but never projects them must not stay in a load balancer.
		log.Error("the consumers of the log stopped; shutting down", "err", nodeErr)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), c.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	if nodeErr != nil {
		return fmt.Errorf("serve: consumers: %w", nodeErr)
	}
	return nil
}

// firstAdministrator makes sure an administrator can act: when none is
// configured (ACV_ADMIN_TOKEN) and the store holds no active administrator
// token, it makes one and prints it, once, to stderr. Nodes starting
// together make one between them.
func firstAdministrator(ctx context.Context, configured string, tokens *api.Tokens, log *slog.Logger, stderr io.Writer) error {
	if configured != "" {
		return nil
	}
	t, bearer, err := tokens.EnsureAdministrator(ctx, "first start", eventstore.Actor{Org: api.RegistryOrg, Role: "system", TokenID: "first-start"})
	if err != nil {
		return fmt.Errorf("first administrator token: %w", err)
	}
	if bearer == "" {
		return nil
	}
	log.Warn("no administrator token existed: made one and printed it to stderr once", "token_id", t.ID, "expires_at", t.ExpiresAt)
	fmt.Fprintf(stderr, "acv: first start: the administrator token (shown once; expires %s):\n%s\n", t.ExpiresAt.Format(time.RFC3339), bearer)
	return nil
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

// helpOK turns "help was printed" into success.
func helpOK(err error) error {
	if errors.Is(err, errHelp) {
		return nil
	}
	return err
}

// regimes are the legal regimes this build knows.
func regimes() domain.Regimes { return domain.DefaultRegimes() }

// seedDemo writes the demo registry into an empty store.
func seedDemo(ctx context.Context, store eventstore.Store, assets *eventstore.Assets, log *slog.Logger) error {
	last, err := store.LastPosition(ctx)
	if err != nil {
		return err
	}
	if last > 0 {
		log.Info("demo: the store has events already; not seeding")
		return nil
	}
	if err := demo.Seed(ctx, assets, domain.DateOf(time.Now()), uuid.NewString); err != nil {
		return err
	}
	orgs := eventstore.NewOrganisations(store, uuid.New)
	for _, c := range []struct{ code, name string }{
		{demo.MidSussex, "Mid Sussex District Council"},
		{demo.Westminster, "Westminster City Council"},
		{demo.Stockport, "Stockport Metropolitan Borough Council"},
	} {
		if _, err := orgs.Create(ctx, c.code, func(o *domain.Organisation) error {
			return o.Register(domain.KindCouncil, domain.OrganisationDetails{Name: c.name}, time.Now())
		}); err != nil {
			return fmt.Errorf("demo: register %s: %w", c.code, err)
		}
	}
	log.Info("demo: seeded three councils and a dozen assets")
	return nil
}

// The default write limits of acv serve: generous for a council officer
// keying in letters or a script importing a list, tight enough to blunt a
// flood or a token-guessing run.
const (
	defaultTokenRate   = "10/s:100"
	defaultAddressRate = "20/s:200"
)

// writeLimits reads the rate-limit flags.
func writeLimits(tokenRate, addrRate, proxies string) (api.WriteLimits, error) {
	var l api.WriteLimits
	var err error
	if l.PerToken, err = api.ParseRate(tokenRate); err != nil {
		return l, fmt.Errorf("--write-rate-token: %w", err)
	}
	if l.PerAddress, err = api.ParseRate(addrRate); err != nil {
		return l, fmt.Errorf("--write-rate-address: %w", err)
	}
	if l.TrustedProxies, err = api.ParsePrefixes(proxies); err != nil {
		return l, fmt.Errorf("--trusted-proxies: %w", err)
	}
	return l, nil
}
