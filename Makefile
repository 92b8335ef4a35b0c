# newsbot: `make demo` runs the main job, `make test` runs every check. Both build what they need.
# `make test-fast` is the edit loop: every test that starts no process (see tests/conftest.py).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_DATABASE_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/test
EVAL ?= ../shared/eval
# Reuse the generated 1M-article databases when they exist (building them takes ~15 min).
BENCH_SEARCH_ARGS ?= --reuse
export TEST_DATABASE_URL

.PHONY: demo test test-fast lint typecheck pytest postgres chromium venv clean bench-web \
	bench-quality bench-speed bench-extract bench-ingest bench-search bench-percolate \
	bench-delivery bench-scale bench-sources soak

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/newsbot demo

# PostgreSQL on 127.0.0.1:5432 is part of the test suite: start it (or install it) when it is down.
postgres:
	@bash scripts/ensure-postgres.sh

# The Mini App's browser tests drive Debian's Chromium (never `playwright install`).
chromium:
	@bash scripts/ensure-chromium.sh

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP) postgres chromium
	$(BIN)/pytest -q -p no:cacheprovider

test: lint typecheck pytest

# One pytest worker per core (pytest-xdist); each has its own template databases.
test-fast: $(STAMP) postgres
	$(BIN)/pytest -q -p no:cacheprovider -m "not slow" -n auto

bench-quality: $(STAMP)
	$(BIN)/python -m bench.quality --data $(EVAL)

bench-speed: $(STAMP)
	$(BIN)/python -m bench.speed --data $(EVAL)

# Extraction: pages built from the dev sets, plus any folder of html/ + txt/ pairs given as
# PAIRS (e.g. newspaper4k's sdist tests/data; see bench/extract.py).
bench-extract: $(STAMP)
	$(BIN)/python -m bench.extract --data $(EVAL) $(if $(PAIRS),--pairs $(PAIRS))

bench-ingest: $(STAMP)
	$(BIN)/python -m bench.ingest

bench-search: $(STAMP) postgres
	$(BIN)/python -m bench.search $(BENCH_SEARCH_ARGS)

bench-percolate: $(STAMP)
	$(BIN)/python -m bench.percolate

bench-delivery: $(STAMP)
	$(BIN)/python -m bench.delivery

bench-scale: $(STAMP) postgres
	$(BIN)/python -m bench.scale

# Everyone's sources: 10,000 chats x 20 of 2,000 feeds (Zipf), planned vs one shared set.
bench-sources: $(STAMP) postgres
	$(BIN)/python -m bench.sources

# The Mini App's archive and search pages under 50 clients (DATABASE=URL for a built archive).
bench-web: $(STAMP) postgres
	nice -n 10 $(BIN)/python -m bench.web $(if $(DATABASE),--database $(DATABASE))

soak: $(STAMP) postgres
	$(BIN)/python -m bench.soak

clean:
	rm -rf $(VENV) data .mypy_cache .ruff_cache .pytest_cache
