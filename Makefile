# Two commands on a fresh machine with Python 3.11+ and make:
#   make run   — virtualenv, install, migrate, seed, serve on http://127.0.0.1:8000
#   make test  — virtualenv, install, the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export REGISTRY_ENV ?= development

.PHONY: install run test test-strawberry-executor schema bench bench-quick bench-postgraphile fuzz audit clean

$(BIN)/registry: pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/registry

run: install
	$(BIN)/registry db upgrade
	$(BIN)/registry seed
	$(BIN)/registry serve --host $(HOST) --port $(PORT)

test: install
	$(BIN)/python -m pytest

# The GraphQL tests again on the fallback executor, Strawberry's own (REGISTRY_EXECUTOR=strawberry).
test-strawberry-executor: install
	REGISTRY_EXECUTOR=strawberry $(BIN)/python -m pytest tests/graphql

# Benchmark (bench/README.md): PostgreSQL on 127.0.0.1:5432, or REGISTRY_BENCH_DATABASE_URL.
bench: install
	$(BIN)/python -m bench.run

# `make bench` with PostGraphile 4 (npm, bench/postgraphile) loaded beside the registry for Q1 and Q2.
# Not in CI: bench-quick needs no Node.js packages. BENCH_ARGS adds options, e.g. BENCH_ARGS=--quick.
bench-postgraphile: install
	npm ci --prefix bench/postgraphile --no-audit --no-fund
	$(BIN)/python -m bench.run --postgraphile $(BENCH_ARGS)

# The CI smoke test, under two minutes: both databases, one and two workers; fails only when broken.
bench-quick: install
	$(BIN)/python -m bench.run --quick --database sqlite --workers 1
	$(BIN)/python -m bench.run --quick --database postgres --workers 2

# Against the live server on SQLite, and on PostgreSQL too when REGISTRY_TEST_POSTGRES_URL is set.
# The long Schemathesis run: FUZZ_EXAMPLES cases per root field (12 fields), new cases each run
# (`make test` runs 25 per field, the same every time).
FUZZ_EXAMPLES ?= 1000
fuzz: install
	REGISTRY_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest tests/fuzz -p no:cacheprovider

# The graphql-http audit suite (npm, .ci/graphql-http): fails when a MUST or SHOULD audit fails.
audit: install
	npm ci --prefix .ci/graphql-http --no-audit --no-fund
	$(BIN)/python -m tests.fuzz.graphql_http_audit

schema: install
	$(BIN)/registry schema export schema.graphql

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
