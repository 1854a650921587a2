# Chronos — `make start` runs it on this machine; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: help start test fuzz install install-dev frontend lint clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/'

start: install frontend  ## Start Chronos (embedded SQLite default unless DATABASE_URL/REDIS_URL are set)
	$(BIN)/chronos serve

test: install-dev frontend  ## Run every test: frontend unit, backend unit + integration, browser
	cd frontend && npm test
	CHRONOS_WORKER_TYPE=process $(BIN)/pytest -q tests/engine/test_guarantees.py tests/deploy  # the guarantees with forked workers too
	$(BIN)/pytest

# The fuzzers (tests/fuzz) also run inside `make test`, at CI size; this runs them with many more
# examples, drawn afresh each time: FUZZ_EXAMPLES per API operation (4x that per property test),
# and the time property test (tests/scheduling/test_cron_property.py) with TIME_CASES instead of 2,000.
FUZZ_EXAMPLES ?= 1000
TIME_CASES ?= 20000
fuzz: install-dev  ## Run the fuzzers (schemathesis, hypothesis) much longer: FUZZ_EXAMPLES=1000 per operation
	CHRONOS_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest -q --timeout 7200 tests/fuzz
	CHRONOS_TIME_CASES=$(TIME_CASES) $(BIN)/pytest -q --timeout 7200 -p no:cacheprovider tests/scheduling/test_cron_property.py

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -U pip

install: $(BIN)/python
	$(BIN)/pip install -q -e .

install-dev: $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'

frontend/node_modules: frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	touch frontend/node_modules

frontend: frontend/node_modules
	cd frontend && npm run build

lint: install-dev  ## ruff (rules and format), mypy, and the architecture's layers contract
	$(BIN)/ruff check backend tests e2e bench
	$(BIN)/ruff format --check backend tests e2e bench
	$(BIN)/mypy
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) frontend/node_modules frontend/dist instance
