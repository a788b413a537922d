// Package api is the registry's HTTP face: routes on gorilla/mux, JSON in
// and out, errors as RFC 9457 problem details, health, readiness and
// Prometheus metrics.
//
// It imports domain, eventstore and projections (never a database driver),
// gorilla/mux and prometheus/client_golang. Handlers are func(w, r) error;
// one wrapper turns an error into a problem-details body and logs only
// server faults, whose detail never reaches the client.
//
// Every request passes the middleware of middleware.go (request id and
// correlation id, security headers, access log, metrics, panic recovery, a
// 1 MiB body limit) and authentication (auth.go), which puts the [Caller]
// (a token's organisation, role and id: [Tokens], tokens.go) into the
// context. Writes (writes*.go, listed in WRITES.md) need a caller whom
// authorize, the one access policy, allows, accept If-Match and
// Idempotency-Key, and answer with the asset's new version and the log
// position for read-your-writes. Reads (reads*.go) use the read models, and
// wait for ?min_position=. Organisations and tokens are managed by
// administrators (organisations.go, tokens_api.go).
//
// The server holds no package-level mutable state: its metrics registry
// belongs to each [Server], and its idempotency store is given in [Deps]
// (shared by every node in the log's database under `acv serve`, or in
// memory).
package api
