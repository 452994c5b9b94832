# Stockledger: `make run` serves the app and a worker; `make test` runs the whole suite.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/stockledger
export STOCKLEDGER_HOME ?= $(CURDIR)/var

.PHONY: test-static install run openapi-snapshot client typescript-deps typescript-check test test-quick test-nightly test-sqlite test-postgres lint check browser-deps a11y-deps a11y-audit store-deps bench bench-deps screenshots clean

$(BIN)/stockledger: pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON)"; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]' >$(VENV)/pip.log 2>&1 \
	  || { grep -v "^WARNING: Location 'file:" $(VENV)/pip.log; exit 1; }
	@touch $@

# The Vendure store the channel tests run beside (tests/stores/vendure): `npm ci` from its lock
# file, again only when the lock file changes. Without Node its tests are skipped (failed
# under CI).
VENDURE_STORE := tests/stores/vendure
$(VENDURE_STORE)/node_modules/.package-lock.json: $(VENDURE_STORE)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  cd $(VENDURE_STORE) && npm ci --no-audit --no-fund --loglevel=error; \
	elif [ "$$CI" = "true" ]; then echo "FAIL: Node.js (npm) is required under CI for the Vendure store"; exit 1; \
	else echo "SKIPPED: Vendure test store - Node.js (npm) is not installed; its tests will be skipped"; fi

store-deps: $(VENDURE_STORE)/node_modules/.package-lock.json

install: $(BIN)/stockledger

run: install
	$(BIN)/stockledger serve --demo-if-empty

# mypy (django-stubs) checks src/: a baseline everywhere, strict for core and ledger
# (pyproject.toml [tool.mypy]); its cache in .mypy_cache makes a second run a few seconds.
lint: install
	$(BIN)/ruff check src tests $(wildcard bench) $(wildcard tools)
	$(BIN)/ruff format --check src tests $(wildcard bench) $(wildcard tools)
	STOCKLEDGER_HOME=$(STOCKLEDGER_HOME)/mypy $(BIN)/mypy

check: install
	STOCKLEDGER_HOME=$(STOCKLEDGER_HOME)/check $(BIN)/stockledger check
	STOCKLEDGER_HOME=$(STOCKLEDGER_HOME)/check $(BIN)/stockledger makemigrations --check --dry-run

# Debian's Chromium for the browser tests (Playwright cannot download browsers here).
browser-deps:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "browser tests need /usr/bin/chromium (apt-get install chromium)"; fi; }

# axe-core for the accessibility page walk, pinned by tests/a11y/package-lock.json (npm ci).
AXE := tests/a11y/node_modules/axe-core/axe.min.js
a11y-deps:
	@if [ -f $(AXE) ] && [ $(AXE) -nt tests/a11y/package-lock.json ]; then :; \
	elif command -v npm >/dev/null 2>&1; then \
	  npm ci --prefix tests/a11y --no-audit --no-fund --silent && touch $(AXE); \
	elif [ "$$CI" = "true" ]; then \
	  echo "FAIL: npm is required under CI (the accessibility test needs axe-core)"; exit 1; \
	else echo "SKIPPED: axe-core not installed - no npm (the accessibility test will skip)"; fi

# axe-core from the outside: `stockledger serve` with the demo on a scratch home, every page as
# each demo role at 1280 and 390 px, the POST-only states driven; prints the findings, exit 1 on
# any. Not in `make test` (tests/web/browser/test_a11y.py is); AUDIT_ARGS: --keep, --home DIR.
a11y-audit: install browser-deps a11y-deps
	$(BIN)/python -m tests.a11y.audit $(AUDIT_ARGS)

# The two engines' passes share nothing (own STOCKLEDGER_HOME, own database): they run side by
# side, each into its own log, printed whole when both are done. TEST_SERIAL=1 runs them in turn.
# Before the passes, two at a time (mypy and the static files are a minute each on one core).
test: install
	@$(MAKE) --no-print-directory -j2 a11y-deps store-deps typescript-deps client lint check test-static
ifeq ($(TEST_SERIAL),1)
	@$(MAKE) --no-print-directory test-sqlite
	@$(MAKE) --no-print-directory test-postgres
else
	@mkdir -p $(STOCKLEDGER_HOME)
	@echo "== both passes side by side (logs in $(STOCKLEDGER_HOME)/test-*.log)"
	@start=$$(date +%s); \
	$(MAKE) --no-print-directory test-sqlite >$(STOCKLEDGER_HOME)/test-sqlite.log 2>&1 & s=$$!; \
	$(MAKE) --no-print-directory test-postgres >$(STOCKLEDGER_HOME)/test-postgres.log 2>&1 & p=$$!; \
	wait $$s; rs=$$?; wait $$p; rp=$$?; \
	cat $(STOCKLEDGER_HOME)/test-sqlite.log $(STOCKLEDGER_HOME)/test-postgres.log; \
	echo "== SQLite pass exit $$rs, PostgreSQL pass exit $$rp, $$(( $$(date +%s) - start )) s wall"; \
	test $$rs = 0 && test $$rp = 0
endif

# The hashed, gzip and Brotli static files the tests' servers serve: collected once for both
# passes (about a minute), skipped when no source file changed (core/static.py).
TEST_STATIC := $(STOCKLEDGER_HOME)/static
test-static: install
	@STOCKLEDGER_HOME=$(STOCKLEDGER_HOME)/check STOCKLEDGER_STATIC_ROOT=$(TEST_STATIC) DATABASE_URL= \
	  $(BIN)/python -m stockledger.cli shell -v 0 -c \
	  "from stockledger.core.static import collect_static_if_changed as c; c() and print('static files collected for the tests')"

test-sqlite: install a11y-deps typescript-deps client test-static
	@echo "== tests on SQLite"
	STOCKLEDGER_HOME=$(STOCKLEDGER_HOME)/test-sqlite STOCKLEDGER_STATIC_ROOT=$(TEST_STATIC) DATABASE_URL= \
	  $(BIN)/pytest --durations=25 $(PYTEST_ARGS)

test-postgres: install a11y-deps store-deps typescript-deps client test-static
	@echo "== tests on PostgreSQL ($(PG_URL))"
	@if $(BIN)/python -c "import psycopg,sys; psycopg.connect('$(PG_URL)'.replace('/stockledger','/postgres'), connect_timeout=3).close()" 2>/dev/null; then \
	  STOCKLEDGER_HOME=$(STOCKLEDGER_HOME)/test-postgres STOCKLEDGER_STATIC_ROOT=$(TEST_STATIC) \
	    DATABASE_URL=$(PG_URL) $(BIN)/pytest --durations=25 $(PYTEST_ARGS); \
	elif [ "$$CI" = "true" ]; then \
	  echo "FAIL: PostgreSQL is required under CI and is not reachable at $(PG_URL)"; exit 1; \
	else \
	  echo "SKIPPED: PostgreSQL tests - no server at $(PG_URL) (set PG_URL, or start PostgreSQL)"; \
	fi

# Rewrite the committed API schema snapshot (docs/openapi.json) after an intended change;
# tests/api/test_openapi_snapshot.py names every breaking change until this is run.
openapi-snapshot: install
	STOCKLEDGER_HOME=$(STOCKLEDGER_HOME)/snapshot DATABASE_URL= $(BIN)/python -m tests.openapi_snapshot
	@$(MAKE) --no-print-directory client

# The Python client generated from docs/openapi.json by the pinned openapi-python-client (dev
# extras, offline): build/client/stockledger_client, never edited and never committed. It is
# a pure function of the committed snapshot, the pinned generator and its config: committing it
# would repeat the snapshot's every change over ~270 files for review. Written beside and
# then moved into place, so a test pass never reads half a client. The generator's ruff hooks
# run our pinned ruff (.venv/bin first on PATH).
CLIENT := build/client/stockledger_client/__init__.py
CLIENT_CONFIG := tests/clients/openapi-python-client.yaml
$(CLIENT): docs/openapi.json $(CLIENT_CONFIG) $(BIN)/stockledger
	@rm -rf build/client.new && mkdir -p build
	@PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/openapi-python-client generate --path docs/openapi.json \
	  --config $(CLIENT_CONFIG) --output-path build/client.new --fail-on-warning >build/client.log 2>&1 \
	  || { cat build/client.log; exit 1; }
	@rm -rf build/client && mv build/client.new build/client && touch $@
	@echo "generated build/client/stockledger_client from docs/openapi.json"

client: $(CLIENT)

# openapi-typescript and tsc, pinned by tests/clients/typescript/package-lock.json (npm ci).
# typescript-check generates the API's types from docs/openapi.json into TS_OUT beside a copy
# of api_usage.ts and type-checks it (tests/api/test_typescript_types.py runs it).
TS := tests/clients/typescript
TS_OUT ?= $(STOCKLEDGER_HOME)/typescript
$(TS)/node_modules/.package-lock.json: $(TS)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --prefix $(TS) --no-audit --no-fund --loglevel=error; \
	elif [ "$$CI" = "true" ]; then echo "FAIL: npm is required under CI (TypeScript type check)"; exit 1; \
	else echo "SKIPPED: openapi-typescript not installed - no npm (the TypeScript check will skip)"; fi

typescript-deps: $(TS)/node_modules/.package-lock.json

typescript-check: typescript-deps
	@mkdir -p $(TS_OUT) && cp $(TS)/api_usage.ts $(TS_OUT)/api_usage.ts
	@$(TS)/node_modules/.bin/openapi-typescript docs/openapi.json --default-non-nullable=false \
	  --output $(TS_OUT)/stockledger-api.d.ts >/dev/null
	$(TS)/node_modules/.bin/tsc --noEmit --strict --target es2022 --module esnext \
	  --moduleResolution bundler $(TS_OUT)/api_usage.ts

# The edit-test loop: unit, service, API and page tests on SQLite, on two processes
# (pytest-xdist); no browser, no reliability suite, nothing that starts servers or workers.
test-quick: install
	STOCKLEDGER_HOME=$(STOCKLEDGER_HOME)/test-quick DATABASE_URL= $(BIN)/pytest -n 2 \
	  -m "not browser and not integration" --ignore=tests/reliability $(PYTEST_ARGS)

# The long sizes: --slow variants and Hypothesis' nightly profile, on both engines in turn.
test-nightly: install
	HYPOTHESIS_PROFILE=nightly $(MAKE) --no-print-directory test TEST_SERIAL=1 PYTEST_ARGS="--slow $(PYTEST_ARGS)"

# Debian's sqlite3 command line tool: the SQLite reference of the CSV benchmarks.
bench-deps:
	@command -v sqlite3 >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq sqlite3 >/dev/null; \
	  else echo "the benchmarks need the sqlite3 command line tool (apt-get install sqlite3)"; exit 1; fi; }

# BENCH_ARGS: --quick (small sizes), --engine sqlite|postgresql, --only NAME[,NAME], --fresh.
# PostgreSQL: database sl_bench_<size> on the server of PG_URL.
bench: install bench-deps store-deps
	PG_URL=$(PG_URL) $(BIN)/python bench/run.py $(BENCH_ARGS)

screenshots: install browser-deps
	$(BIN)/python tools/screenshots.py docs/screenshots

clean:
	rm -rf $(VENV) var build/client build/client.new build/client.log
