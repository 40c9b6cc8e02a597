# dynoshift — the one entry point.
#   make demo    the main job on the embedded default (no AWS account, no network)
#   make test    every check: format, lint, Rust, Python, Node, type checks, install checks
#   make bench   benchmarks (ratios measured in one run)
#
# Every cargo call uses the same --target so that the core, the CLI and both bindings share one
# set of compiled dependencies in ./target (napi always builds with an explicit target).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

HOST := $(shell rustc -vV | sed -n 's/host: //p')
CARGO_FLAGS := --target $(HOST)
export CARGO_TARGET_DIR := $(CURDIR)/target
BIN := $(CARGO_TARGET_DIR)/$(HOST)/debug
VENV := $(CURDIR)/.venv
PY := $(VENV)/bin/python
export DYNOSHIFT_MOTO_SERVER := $(VENV)/bin/moto_server
WHEEL_DIR := $(CARGO_TARGET_DIR)/wheels
SCRATCH := $(CARGO_TARGET_DIR)/scratch
# The Rust CLI the Python and Node ingest tests compare their JSON with (built by build-cli).
export DYNOSHIFT_CLI := $(BIN)/dynoshift
BENCH_DIR := $(CARGO_TARGET_DIR)/bench
RELEASE := $(CARGO_TARGET_DIR)/$(HOST)/release
INGEST_BINDINGS_BENCH_MB ?= 260

.PHONY: help demo test lint test-rust test-python test-node test-install build-python build-node build-cli bench bench-ingest-bindings clean

help:
	@echo "make demo   # the main job: a rehearsal on the embedded default (no AWS account)"
	@echo "make test   # every test"
	@echo "make bench  # benchmarks"

# ---- tools --------------------------------------------------------------------------------
$(VENV)/.installed: python/requirements-dev.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r python/requirements-dev.txt
	touch $@

node/node_modules/.installed: node/package.json node/package-lock.json
	cd node && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# ---- builds (debug, shared target dir) -----------------------------------------------------
build-python: $(VENV)/.installed
	rm -rf $(WHEEL_DIR) && mkdir -p $(WHEEL_DIR)
	cd python && $(VENV)/bin/maturin build --quiet --profile dev $(CARGO_FLAGS) -o $(WHEEL_DIR)
	$(PY) -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps $(WHEEL_DIR)/dynoshift-*.whl

build-node: node/node_modules/.installed
	cd node && npm run --silent build -- $(CARGO_FLAGS)

build-cli:
	cargo build --quiet -p dynoshift --bin dynoshift $(CARGO_FLAGS)

# ---- the main job ---------------------------------------------------------------------------
demo:
	cargo build --quiet -p dynoshift $(CARGO_FLAGS)
	@echo "== 1. Heroku bill of the bundled sample app (tests/fixtures/formation-sample.json)"
	$(BIN)/dynoshift cost --formation tests/fixtures/formation-sample.json
	@echo
	@echo "== 2. What the cutover plan would write (core/tests/fixtures/cutover-plan.json)"
	$(BIN)/dynoshift cutover dry-run --plan core/tests/fixtures/cutover-plan.json --memory
	@echo
	@echo "== 3. The staged cutover rehearsed on the in-memory Route53 zone (virtual time: 25 minutes in an instant)"
	mkdir -p $(CARGO_TARGET_DIR)/demo && rm -f $(CARGO_TARGET_DIR)/demo/cutover.journal.json
	$(BIN)/dynoshift cutover run --plan core/tests/fixtures/cutover-plan.json --memory --journal $(CARGO_TARGET_DIR)/demo/cutover.journal.json
	@echo "journal: $(CARGO_TARGET_DIR)/demo/cutover.journal.json"

# ---- checks ---------------------------------------------------------------------------------
test: lint test-rust test-python test-node test-install
	@echo "make test: all checks passed"

lint:
	cargo fmt --all --check
	cargo clippy --quiet --workspace --all-targets $(CARGO_FLAGS) -- -D warnings

test-rust: $(VENV)/.installed
	cargo test -p dynoshift $(CARGO_FLAGS)

test-python: build-python build-cli
	$(VENV)/bin/pytest -q -p no:cacheprovider -c python/pyproject.toml --rootdir python python/tests
	cd python && $(VENV)/bin/mypy --strict --no-incremental tests
	cd $(WHEEL_DIR) && $(PY) -m mypy.stubtest dynoshift._dynoshift

test-node: build-node build-cli
	cd node && node --test tests/
	cd node && ./node_modules/.bin/tsc -p tests/tsconfig.json

# A newcomer's installs: `pip install ./python` into a fresh venv and `npm install` of the
# packed Node package into a fresh project, each followed by an import that calls the core.
test-install: $(VENV)/.installed build-node
	rm -rf $(SCRATCH) && mkdir -p $(SCRATCH)/npm
	python3 -m venv $(SCRATCH)/venv
	MATURIN_PEP517_ARGS="--profile dev $(CARGO_FLAGS)" $(SCRATCH)/venv/bin/pip install --quiet --disable-pip-version-check ./python
	cd $(SCRATCH) && ./venv/bin/python -c "import dynoshift; r = dynoshift.Formation.from_json('{\"web\": {\"size\": \"basic\", \"quantity\": 2}}').monthly_cost(); assert r.total_monthly_usd == 14.0, r; print('pip install ./python: ok', dynoshift.__version__)"
	cd node && npm pack --silent --pack-destination $(SCRATCH)/npm >/dev/null
	cd $(SCRATCH)/npm && npm init -y >/dev/null && npm install --no-audit --no-fund --loglevel=error ./dynoshift-*.tgz
	cd $(SCRATCH)/npm && node -e "const d = require('dynoshift'); const r = d.Formation.fromJson('{\"web\": {\"size\": \"basic\", \"quantity\": 2}}').monthlyCost(); if (r.totalMonthlyUsd !== 14) throw new Error('bad total ' + r.totalMonthlyUsd); console.log('npm install dynoshift: ok')"

# Benchmarks print ratios and figures measured in one run; nothing here asserts a timing.
bench:
	@echo "== cutover engine: overhead per stage and Route53 calls (memory provider, zero delays)"
	cargo run --quiet --release -p dynoshift $(CARGO_FLAGS) --example bench_cutover
	@echo
	@$(MAKE) --no-print-directory bench-ingest-bindings

# Python and Node bulk ingest vs the Rust CLI on one generated file (INGEST_BINDINGS_BENCH_MB).
# The release wheel and addon are built here only, into $(BENCH_DIR), so the debug builds the
# tests use are left alone.
bench-ingest-bindings: $(VENV)/.installed
	cargo build --quiet --release -p dynoshift --bin dynoshift $(CARGO_FLAGS)
	cargo build --quiet --release -p dynoshift-node $(CARGO_FLAGS)
	rm -rf $(BENCH_DIR)/wheels $(BENCH_DIR)/py && mkdir -p $(BENCH_DIR)
	cp $(RELEASE)/libdynoshift_node.so $(BENCH_DIR)/dynoshift.node
	cd python && $(VENV)/bin/maturin build --quiet --release $(CARGO_FLAGS) -o $(BENCH_DIR)/wheels
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --target $(BENCH_DIR)/py $(BENCH_DIR)/wheels/dynoshift-*.whl
	@echo "== ingest: Python and Node bulk ingest relative to the Rust CLI"
	tests/bench/ingest_bindings_bench.sh $(RELEASE)/dynoshift $(PY) $(BENCH_DIR)/py $(BENCH_DIR)/dynoshift.node $(INGEST_BINDINGS_BENCH_MB)

clean:
	rm -rf target $(VENV) node/node_modules
