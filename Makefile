# Two commands set everything up on a fresh machine: `make demo` and `make test`.
GO        ?= go
PKGS      := ./...
BIN       := bin/hoso

.PHONY: all build demo test test-short lint bench bench-intake bench-ledger bench-planner bench-replan bench-labels bench-outbox deps postgres e2e-deps clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/hoso

postgres:
	@scripts/ensure-postgres.sh

e2e-deps:
	@if [ ! -d e2e/node_modules/playwright-core ]; then npm ci --prefix e2e --no-audit --no-fund --loglevel=error; fi

# Migrates (creating the database hoso_demo if needed), seeds Thái Nguyên,
# serves on :8080 and prints the URLs, logins and the portal secret.
demo: postgres build
	$(BIN) demo

# Every test: unit, PostgreSQL, HTTP, browser (Chromium) and PDF tools.
test: postgres e2e-deps
	$(GO) test -count=1 -timeout 30m $(PKGS)

# Without the browser and the slow parts.
test-short: postgres
	$(GO) test -short -count=1 $(PKGS)

lint:
	$(GO) vet $(PKGS)
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) tool staticcheck $(PKGS)

bench: bench-intake bench-labels

bench-intake: postgres build
	$(BIN) bench intake

clean:
	rm -rf bin e2e/out
