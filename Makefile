# Two commands set everything up on a fresh machine: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test
DEMO_SEED ?= 20241
# pytest-xdist workers: one per core, at most 4 (each builds its own test city and database)
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); [ $$n -gt 4 ] && n=4; echo $$n)

.PHONY: install demo serve test test-sqlite test-postgres lint i18n bench-foundation bench-appeals bench-cobuild \
	bench-dashboard clean

install: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

demo: install
	$(BIN)/gongzhi db upgrade
	$(BIN)/gongzhi generate --scale demo --seed $(DEMO_SEED) --if-empty
	$(BIN)/gongzhi demo-accounts
	$(BIN)/gongzhi demo-appeals
	$(BIN)/gongzhi generate --appeals 60000 --years 1 --seed $(DEMO_SEED) --if-empty
	$(BIN)/gongzhi cobuild demo
	$(BIN)/gongzhi volunteers demo
	$(BIN)/gongzhi points demo
	$(BIN)/gongzhi assessment demo
	$(BIN)/gongzhi dashboard refresh
	@echo "打开 http://127.0.0.1:8000 （Ctrl+C 停止）"
	$(BIN)/gongzhi serve --host 127.0.0.1 --port 8000

test: install lint test-sqlite test-postgres

test-sqlite: install
	@echo "=== test suite on SQLite ==="
	$(BIN)/python -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --backend sqlite

test-postgres: install
	@echo "=== test suite on PostgreSQL ($(PG_TEST_URL)) ==="
	GONGZHI_TEST_PG_URL=$(PG_TEST_URL) $(BIN)/python -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS) \
		--backend postgresql

lint: install
	$(BIN)/ruff check src tests bench

# Re-extract the UI strings (babel.cfg) into the template and merge it into each language's catalog; then
# translate the new or changed entries in src/gongzhi/locale/<lang>/LC_MESSAGES/messages.po (and clear any
# "fuzzy" flag). The catalogs are compiled in memory at start-up, so nothing else needs building.
LOCALE := src/gongzhi/locale
i18n: install
	$(BIN)/pybabel extract -F babel.cfg -o $(LOCALE)/messages.pot -c TRANSLATORS: --sort-by-file \
		--project gongzhi --version "$$($(BIN)/python -c 'import gongzhi; print(gongzhi.__version__)')" \
		--copyright-holder "the gongzhi authors" .
	$(BIN)/pybabel update -i $(LOCALE)/messages.pot -d $(LOCALE) -D messages --ignore-obsolete

# Generates the Yantai-sized city (~4 min; ~10 GB of temporary disk at the peak) and updates docs/benchmarks.md;
# BENCH_ARGS="--scale tiny" is a smoke run. Needs /usr/bin/time (Debian package `time`).
BENCH_ARGS ?=
bench-foundation: install
	$(BIN)/python bench/foundation.py $(BENCH_ARGS)

# Appeal intake throughput (POST /api/v1/appeals through `gongzhi serve`, SQLite and PostgreSQL at $(PG_TEST_URL))
# as a ratio to a bare FastAPI endpoint, and one deadline sweep over 1,000,000 open appeals; updates
# docs/benchmarks.md (~30 min). BENCH_ARGS="--quick" is a smoke run (< 1 min). Needs wrk (Debian package `wrk`).
bench-appeals: install
	@command -v wrk >/dev/null || { echo "bench-appeals needs wrk (Debian: apt-get install wrk)"; exit 1; }
	GONGZHI_TEST_PG_URL=$(PG_TEST_URL) $(BIN)/python bench/appeals.py $(BENCH_ARGS)

# Co-building (issue 4): the matching solver against greedy on a generated Yantai-sized street, and points
# redemption throughput on PostgreSQL at $(PG_TEST_URL). BENCH_ARGS=--quick for a smoke run of each.
bench-cobuild: install
	$(BIN)/python bench/cobuild.py $(BENCH_ARGS)
	GONGZHI_TEST_PG_URL=$(PG_TEST_URL) $(BIN)/python bench/redeem.py $(BENCH_ARGS)

# Dashboards (issue 5): every dashboard API request at 10,000,000 appeals on SQLite and on PostgreSQL at
# $(PG_TEST_URL), against a DuckDB scan of the same rows; updates docs/benchmarks.md (~1 h, ~15 GB of temporary
# disk). BENCH_ARGS=--quick is a smoke run (100,000 appeals, SQLite, a few minutes).
bench-dashboard: install
	GONGZHI_TEST_PG_URL=$(PG_TEST_URL) $(BIN)/python bench/dashboard.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules var test-artifacts
