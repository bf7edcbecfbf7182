# Two commands set everything up on a fresh machine: `make demo` and `make test`.
GO        ?= go
PKGS      := ./...
BIN       := bin/hoso

.PHONY: all build demo test test-short security lint bench bench-intake bench-ledger bench-planner bench-replan bench-mixed bench-labels bench-outbox bench-load faults sim fuzz load test-deps postgres clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/hoso

postgres:
	@scripts/ensure-postgres.sh

# What the tests run besides Go: Debian packages (installed when root, else
# the command to run is printed) and the browser test packages.
test-deps:
	@scripts/test-deps.sh

# Migrates (creating the database hoso_demo if needed), seeds Thái Nguyên,
# serves on :8080 and prints the URLs, logins and the portal secret.
demo: postgres build
	$(BIN) demo

# Every test: unit, PostgreSQL, HTTP, browser (Chromium) and PDF tools. A
# missing tool fails its test (never skips); test-deps installs them first.
# CI=1: a database test fails, never skips, when PostgreSQL is unreachable.
test: test-deps postgres
	CI=1 $(GO) test -count=1 -timeout 30m $(PKGS)

# The outside security probe as tests (internal/securityprobe): the real
# binary on loopback, behind a real nginx for the proxy checks. make test
# runs it too; this runs it alone, verbosely.
security: test-deps postgres
	CI=1 $(GO) test -count=1 -timeout 20m -v ./internal/securityprobe

# Without the browser and the slow parts (not the full suite: -short leaves
# the browser tests out on purpose).
test-short: postgres
	$(GO) test -short -count=1 $(PKGS)

lint:
	$(GO) vet $(PKGS)
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) tool staticcheck $(PKGS)

# Every benchmark prints its figures beside a baseline measured in the same
# run. `make bench` runs the quick ones (about 10 minutes); the planner's
# full Solomon and Gehring-Homberger run takes about 16 minutes on its own.
bench: bench-intake bench-ledger-small bench-labels bench-outbox bench-load bench-replan

# Portal pickups through the signed API, beside bare INSERTs.
bench-intake: postgres build
	$(BIN) bench intake

# Courier events through the batch endpoint beside COPY; the alarm sweep and
# the timeline at 10,000 and at 1,000,000 parcels (the large run takes long).
bench-ledger: postgres build
	$(BIN) bench ledger

bench-ledger-small: postgres build
	$(BIN) bench ledger -big 0

# The transparency log: ingest with the log off and on (alternating rounds),
# the sequencer alone, inclusion and consistency proofs at 10 thousand,
# 1 million and 100 million leaves (the largest tree is built straight into
# its tables: about 4 GB and several minutes; dropped at the end).
bench-log: postgres build
	$(BIN) bench log

# The planner against best-known solutions, checked by tools/vrptw-check.
bench-planner: build
	scripts/bench-planner.sh

# Re-planning a Thái Nguyên day after a cancellation, an urgent pickup, a
# courier off sick.
bench-replan:
	$(GO) run ./dispatch/vrptw/internal/benchreplan

# Whole courier days (deliveries, pickups, breaks, fees) generated from the
# Thái Nguyên data, 10 s against a 60 s run, every plan through
# tools/vrpspdtw-check (docs/bench/mixed.md).
bench-mixed:
	$(GO) run ./dispatch/vrptw/internal/benchmixed

# Labels, receipts and manifests per CPU-second.
bench-labels:
	$(GO) test -run '^$$' -bench . -benchmem ./labels/

# The outbox relay beside a bare loop of the same callbacks.
bench-outbox: postgres build
	$(BIN) bench outbox -n 500 -rows 5000 -dossiers 500 -workers 8

# The public timeline and courier uploads under concurrent clients, beside
# the server's static and health handlers.
bench-load: postgres build
	$(BIN) bench load

# The real binary on loopback: kill -9 during writes, a PostgreSQL restart under
# load (a PostgreSQL server of the test's own, initdb in a temporary
# directory), two instances on one database. Also part of `make test`.
faults: postgres
	$(GO) test -count=1 -timeout 20m -v -run 'TestKillNineDuringWrites|TestPostgresRestartMidLoad|TestTwoInstancesConflictingHandoffs' ./cmd/hoso

# The seeded day simulator (make test runs 200 seeds × 1 day); appends its
# totals to docs/bench/sim.md. Replay one seed:
#   SIM_SEED=… go test -run 'TestSim$$' -v ./internal/sim
N        ?= 1000
SIM_DAYS ?= 2
sim: postgres
	SIM_N=$(N) SIM_DAYS=$(SIM_DAYS) SIM_REPORT=$(CURDIR)/docs/bench/sim.md $(GO) test -count=1 -timeout 0 -v -run 'TestSim$$' ./internal/sim

# Every fuzz target for FUZZTIME each. CI counts executions (FUZZTIME=500x)
# instead of seconds: with a wall-clock -fuzztime, Go 1.26's coordinator can
# fail a target with a bare "context deadline exceeded" and no input when the
# deadline races a starved worker (golang/go#75804, fixed in Go 1.27).
FUZZTIME ?= 10s
FUZZMINTIME ?= 60s
fuzz: postgres
	@set -e; for dir in $$(grep -rl --include='*_test.go' --exclude-dir=node_modules '^func Fuzz' . | xargs -n1 dirname | sort -u); do \
	  for f in $$(grep -h '^func Fuzz' $$dir/*_test.go | sed 's/^func \(Fuzz[A-Za-z0-9_]*\).*/\1/'); do \
	    echo "fuzz $$dir $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINTIME) $$dir; \
	  done; \
	done

load: bench-load

clean:
	rm -rf bin e2e/out
