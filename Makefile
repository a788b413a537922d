# Developer and CI entry points. `make test` is what CI runs (.ci/run).
#
#   make test     gofmt check, go vet, then every test with the race detector
#   make bench    every benchmark (log, rebuild, HTTP), each beside its baseline: make bench BENCH=Append BENCHTIME=5s
#   make lint     gofmt check, go vet, staticcheck
#   make run      the registry on 127.0.0.1:8080 (embedded SQLite under ./data)
#   make build    bin/acv
#
# The PostgreSQL tests start a throwaway cluster when PostgreSQL's server
# binaries are installed, or use ACV_TEST_DATABASE_URL; see internal/pgtest.

GO ?= go
GOFMT ?= gofmt

# BENCH selects benchmarks by regexp; BENCHTIME is go test's -benchtime:
# a duration (1s) or an iteration count (100x). BENCHCOUNT repeats each one.
BENCH ?= .
BENCHTIME ?= 1s
BENCHCOUNT ?= 1

# staticcheck 2026.2.2, pinned: the module proxy serves semantic versions only.
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: test fmt-check vet bench lint run build

test: fmt-check vet
	$(GO) test -race -count=1 -timeout 45m ./...

fmt-check:
	@unformatted="$$($(GOFMT) -l .)"; \
	if [ -n "$$unformatted" ]; then \
		echo "gofmt -l lists files that need formatting (run gofmt -w):"; \
		echo "$$unformatted"; \
		exit 1; \
	fi

vet:
	$(GO) vet ./...

bench:
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchtime $(BENCHTIME) -count $(BENCHCOUNT) -benchmem -timeout 2h ./eventstore/... ./projections/... ./cmd/acv/...

lint: fmt-check vet
	$(GO) run $(STATICCHECK) ./...

run:
	$(GO) run ./cmd/acv serve

build:
	$(GO) build -o bin/acv ./cmd/acv
