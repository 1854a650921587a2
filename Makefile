# Chronos — `make start` runs it on this machine; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: start test fuzz-time install install-dev frontend lint clean

start: install frontend  ## Start Chronos (embedded SQLite default unless DATABASE_URL/REDIS_URL are set)
	$(BIN)/chronos serve

test: install-dev frontend  ## Run every test: frontend unit, backend unit + integration, browser
	cd frontend && npm test
	CHRONOS_WORKER_TYPE=process $(BIN)/pytest -q tests/engine/test_guarantees.py tests/deploy  # the guarantees with forked workers too
	$(BIN)/pytest

fuzz-time: install-dev  ## The time property test with 20,000 cases instead of 2,000 (a few minutes)
	CHRONOS_TIME_CASES=20000 $(BIN)/pytest -q -p no:cacheprovider tests/scheduling/test_cron_property.py

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

lint: install-dev
	$(BIN)/ruff check backend tests e2e bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) frontend/node_modules frontend/dist instance
