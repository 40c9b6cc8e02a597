# dynoshift — the one entry point.
#   make demo    the main job on the embedded default (no AWS account, no network)
#   make test    every check: format, lint, Rust, Python, Node, Ruby, type checks, install checks
#   make bench   benchmarks (ratios measured in one run)
#
# Every cargo call uses the same --target so that the core, the CLI and both bindings share one
# set of compiled dependencies in ./target (napi always builds with an explicit target).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

comma := ,
HOST := $(shell rustc -vV | sed -n 's/host: //p')
CARGO_FLAGS := --target $(HOST)
export CARGO_TARGET_DIR := $(CURDIR)/target
BIN := $(CARGO_TARGET_DIR)/$(HOST)/debug
VENV := $(CURDIR)/.venv
PY := $(VENV)/bin/python
export DYNOSHIFT_MOTO_SERVER := $(VENV)/bin/moto_server
export DYNOSHIFT_CLI := $(BIN)/dynoshift
WHEEL_DIR := $(CARGO_TARGET_DIR)/wheels
SCRATCH := $(CARGO_TARGET_DIR)/scratch
RUBY_DIR := bindings/ruby
RUBY_NATIVE := $(RUBY_DIR)/lib/dynoshift/native
BENCH_DIR := $(CARGO_TARGET_DIR)/bench
RELEASE := $(CARGO_TARGET_DIR)/$(HOST)/release
INGEST_BINDINGS_BENCH_MB ?= 260
# `make test` prints where its time went: each stage appends "name start-time" here and the
# summary (tests/stage-times.awk) gives each its share. `make test TIMINGS=1` also writes cargo's
# --timings HTML report of the Rust test build (target/cargo-timings/).
STAGE_LOG := $(CARGO_TARGET_DIR)/test-stages.log
stage = @mkdir -p $(CARGO_TARGET_DIR) && echo "$(1) $$(date +%s.%N)" >> $(STAGE_LOG)
TIMINGS ?=

.PHONY: help demo demo-steps generate test test-begin test-build rust-test-build run-rust run-highs run-python run-node run-ruby run-readme run-install run-dist run-reliability lint test-rust test-python test-node test-ruby test-readme test-install test-dist dist build-python build-node build-cli build-ruby ruby-tools prometheus-tools bench bench-ingest-bindings reliability reliability-smoke fuzz fuzz-smoke fuzz-tools clean

help:
	@echo "make demo   # the main job: dynoshift rehearse on the embedded default (no AWS account)"
	@echo "make demo-steps  # the same capabilities one subcommand at a time"
	@echo "make test   # every test"
	@echo "make bench  # benchmarks"
	@echo "make reliability  # 100 SIGKILLs + resumes, Route53 faults, a 200-hostname fleet, gates at 500/s, lock races, 30 SIGKILLs with the journal in S3 and S3 faults (moto on loopback)"

# ---- tools --------------------------------------------------------------------------------
$(VENV)/.installed: python/requirements-dev.txt
	$(call stage,venv)
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r python/requirements-dev.txt
	touch $@

node/node_modules/.installed: node/package.json node/package-lock.json
	$(call stage,npm-ci)
	cd node && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Debian's Prometheus (2.42 on bookworm), for the Prometheus gate tests; installed only when missing.
prometheus-tools:
	@test -x /usr/bin/prometheus || { \
	  echo "installing prometheus (apt-get)"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends prometheus >/dev/null; }

# Debian's ruby (3.1) and ruby-ffi, installed only when missing (as root, no prompts).
ruby-tools:
	@ruby -e 'require "ffi"' 2>/dev/null || { \
	  echo "installing ruby and ruby-ffi (apt-get)"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq >/dev/null && apt-get install -y -qq ruby ruby-ffi >/dev/null; }

# ---- builds (debug, shared target dir) -----------------------------------------------------
build-python: $(VENV)/.installed
	$(call stage,$@)
	rm -rf $(WHEEL_DIR) && mkdir -p $(WHEEL_DIR)
	cd python && $(VENV)/bin/maturin build --quiet --profile dev $(CARGO_FLAGS) -o $(WHEEL_DIR)
	$(PY) -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps $(WHEEL_DIR)/dynoshift-*.whl

build-node: node/node_modules/.installed
	$(call stage,$@)
	cd node && npm run --silent build -- $(CARGO_FLAGS)

# The library, then the bindgen (a separate crate, so uniffi's `cli` feature never reaches the
# library), then the Ruby module generated from the library, with the library copied beside it.
build-ruby: ruby-tools
	$(call stage,$@)
	cargo build --quiet -p dynoshift-ruby $(CARGO_FLAGS)
	cargo build --quiet -p dynoshift-ruby-bindgen $(CARGO_FLAGS)
	rm -rf $(RUBY_NATIVE) && mkdir -p $(RUBY_NATIVE)
	cp $(BIN)/libdynoshift_ruby.so $(RUBY_NATIVE)/
	$(BIN)/uniffi-bindgen generate --no-format --metadata-no-deps --language ruby \
	  --out-dir $(RUBY_NATIVE) $(RUBY_NATIVE)/libdynoshift_ruby.so
build-cli:
	$(call stage,$@)
	cargo build --quiet -p dynoshift --bin dynoshift $(CARGO_FLAGS)

# ---- the main job ---------------------------------------------------------------------------
# The whole migration rehearsed on the embedded default: two weeks of synthetic logs for the
# sample app -> sizing, nodes and bill; two staged cutovers on an in-memory zone against two
# local HTTP apps, the second with a fault at 25% that must roll back (about a minute).
REHEARSAL := $(CARGO_TARGET_DIR)/rehearsal
demo:
	cargo build --quiet -p dynoshift --bin dynoshift $(CARGO_FLAGS)
	$(BIN)/dynoshift rehearse --out $(REHEARSAL)

# The same capabilities one subcommand at a time.
DEMO := $(CARGO_TARGET_DIR)/demo
SAMPLE := tests/fixtures/formation-sample.json
PLAN := core/tests/fixtures/cutover-plan.json
demo-steps:
	cargo build --quiet -p dynoshift $(CARGO_FLAGS)
	mkdir -p $(DEMO) && rm -f $(DEMO)/cutover.journal.json
	@echo "== 1. Heroku bill of the bundled sample app ($(SAMPLE): web x4 Standard-2X, worker x2 Standard-1X)"
	$(BIN)/dynoshift cost --formation $(SAMPLE)
	@echo
	@echo "== 2. Three days of its Heroku logs (synthetic, deterministic: runtime metrics, router lines, R14s, H12s)"
	$(BIN)/dynoshift synth-logs --formation $(SAMPLE) --duration 3d --rps 1 --seed 7 -o $(DEMO)/app.log.gz --report $(DEMO)/synth-report.json
	@echo
	@echo "== 3. Container sizing from those logs: every number with its rule"
	$(BIN)/dynoshift size --formation $(SAMPLE) --logs $(DEMO)/app.log.gz
	@echo
	@echo "== 4. The cheapest EC2 nodes for those pods, the proven gap, and the bill against Heroku"
	$(BIN)/dynoshift plan --formation $(SAMPLE) --logs $(DEMO)/app.log.gz --karpenter $(DEMO)/karpenter.yaml
	@echo
	@echo "== 5. What the staged cutover would write ($(PLAN))"
	$(BIN)/dynoshift cutover dry-run --plan $(PLAN) --memory
	@echo
	@echo "== 6. The staged cutover rehearsed on the in-memory Route53 zone (virtual time: 25 minutes in an instant)"
	$(BIN)/dynoshift cutover run --plan $(PLAN) --memory --journal $(DEMO)/cutover.journal.json
	@echo
	@echo "Written to $(DEMO): app.log.gz, synth-report.json, karpenter.yaml, cutover.journal.json"

# ---- checks ---------------------------------------------------------------------------------
# `make test` builds everything first (cargo builds one thing at a time anyway), then runs the
# checks in five parallel lanes (tests/lanes.sh): they mostly wait on moto, Prometheus, loopback
# servers and SIGKILL loops, so the lanes take about as long as the longest one. The package
# checks start at once in their own lane: on a fresh clone they build the source gem with cargo
# (about 2.5 minutes of CPU), which the waiting lanes leave room for. Each check's log
# is printed whole when it ends. `make test-rust`, `make test-python`, ... build and run one part.
TEST_LANES := "rust: run-rust run-highs" \
  "packages: run-dist run-install" \
  "bindings: run-python run-ruby run-readme" \
  "node: run-node" \
  "reliability: run-reliability"
# The checks' scratch files (TMPDIR) go to tmpfs when the machine has one: a journal write is
# fsynced, ~5 ms each on this VM's disk (the crash-at-every-step suite alone makes 5,600), and
# free on tmpfs; the tests check what is written and in which order, which tmpfs keeps, and
# their SIGKILLs stop a process, not the machine. Emptied when `make test` starts and, after
# a passing run, when it ends (a failed run leaves it for a look; it holds ~0.7 GB of RAM).
TEST_TMPDIR := $(shell d=/dev/shm/dynoshift-tests; mkdir -p $$d 2>/dev/null || { d=$(CARGO_TARGET_DIR)/test-tmp; mkdir -p $$d; }; echo $$d)
run-%: export TMPDIR = $(TEST_TMPDIR)
test: test-begin lint test-build
	$(call stage,lanes)
	rm -rf $(TEST_TMPDIR) && mkdir -p $(TEST_TMPDIR)
	tests/lanes.sh $(STAGE_LOG) $(TEST_LANES)
	rm -rf $(TEST_TMPDIR)
	$(call stage,end)
	@echo "make test: where the time went (wall clock per stage; the lanes ran side by side, each check's own time below)"
	@awk -f tests/stage-times.awk $(STAGE_LOG)
	@echo "make test: all checks passed"

# Rewrites the files generated from the core's declarations (python/dynoshift/exceptions.py, ...)
# after building the Node addon (napi writes node/index.d.ts, whose declared getters are checked
# against the declarations); `make test` fails while a committed copy differs
# (core/tests/generated.rs). One test at a time: two of them rewrite regions of the same `.pyi`.
generate: build-node
	DYNOSHIFT_BLESS=1 cargo test --quiet -p dynoshift $(CARGO_FLAGS) --test integration generated:: -- --test-threads=1

test-begin:
	@mkdir -p $(CARGO_TARGET_DIR) && echo "begin $$(date +%s.%N)" > $(STAGE_LOG)

lint:
	$(call stage,lint:fmt)
	cargo fmt --all --check
	$(call stage,lint:clippy)
	cargo clippy --quiet --workspace --all-targets $(CARGO_FLAGS) -- -D warnings
	cargo clippy --quiet -p dynoshift --features bench-stages --example bench_ingest_stages $(CARGO_FLAGS) -- -D warnings

# Everything the lanes run: the bindings, the CLI, the Rust test binaries and two examples.
test-build: $(VENV)/.installed node/node_modules/.installed prometheus-tools build-python build-node build-ruby build-cli rust-test-build

rust-test-build: $(VENV)/.installed
	$(call stage,test-rust:build)
	cargo test --no-run --quiet -p dynoshift $(CARGO_FLAGS) $(if $(TIMINGS),--timings)
	cargo build --quiet -p dynoshift --example bench_nodes --example reliability_gates $(CARGO_FLAGS)

test-rust: rust-test-build prometheus-tools
	@$(MAKE) --no-print-directory run-rust run-highs
# Four test threads on two cores: most tests wait on moto, servers or child processes.
RUST_TEST_THREADS ?= 4
run-rust:
	cargo test -p dynoshift $(CARGO_FLAGS) -- --test-threads=$(RUST_TEST_THREADS)

# The node planner against HiGHS (an independent exact MILP solver) on a few small fixtures:
# every plan feasible under the MILP's constraints, no plan we call optimal beaten, our lower
# bound never above HiGHS's optimum (tests/bench/nodes_highs.py --check; `make bench` runs all).
run-highs:
	$(BIN)/examples/bench_nodes --export $(CARGO_TARGET_DIR)/nodes-highs-small.jsonl --small
	$(PY) tests/bench/nodes_highs.py $(CARGO_TARGET_DIR)/nodes-highs-small.jsonl --check --time-limit 10

test-python: build-python build-cli
	@$(MAKE) --no-print-directory run-python
run-python:
	$(VENV)/bin/pytest -q -p no:cacheprovider -c python/pyproject.toml --rootdir python python/tests
	cd python && $(VENV)/bin/mypy --strict --no-incremental tests
	cd $(WHEEL_DIR) && $(PY) -m mypy.stubtest dynoshift._dynoshift

test-node: build-node build-cli
	@$(MAKE) --no-print-directory run-node
run-node:
	cd node && node --test tests/
	cd node && ./node_modules/.bin/tsc -p tests/tsconfig.json

test-ruby: build-ruby build-cli $(VENV)/.installed
	@$(MAKE) --no-print-directory run-ruby
run-ruby:
	cd $(RUBY_DIR) && ruby -Ilib -Itest -e 'Dir["test/*_test.rb"].sort.each { |f| require File.expand_path(f) }'

# The README's blocks: each is a file under tests/readme/ (or core/tests/readme.rs), checked
# against the README and executed with what it needs on loopback; the Python ones type-checked.
test-readme: build-python build-node build-ruby build-cli
	@$(MAKE) --no-print-directory run-readme
run-readme:
	$(VENV)/bin/pytest -q -p no:cacheprovider --rootdir tests/readme tests/readme
	MYPYPATH=python/tests $(VENV)/bin/mypy --strict --no-incremental tests/readme/test_readme.py tests/readme/sync_readme.py
	cd tests/readme && $(VENV)/bin/mypy --no-incremental quickstart.py cutover.py from_heroku_app.py gates.py nodes.py sizing.py ingest.py

# A newcomer's installs: `pip install ./python` into a fresh venv, `npm install` of the
# packed Node package into a fresh project, and the built gem into a scratch gem home (its ffi
# dependency is Debian's ruby-ffi, so nothing is fetched), each followed by a call into the core.
test-install: $(VENV)/.installed build-node build-ruby
	@$(MAKE) --no-print-directory run-install
run-install:
	rm -rf $(SCRATCH) && mkdir -p $(SCRATCH)/npm
	python3 -m venv $(SCRATCH)/venv
	MATURIN_PEP517_ARGS="--profile dev $(CARGO_FLAGS)" $(SCRATCH)/venv/bin/pip install --quiet --disable-pip-version-check ./python
	cd $(SCRATCH) && ./venv/bin/python -c "import dynoshift; r = dynoshift.Formation.from_json('{\"web\": {\"size\": \"basic\", \"quantity\": 2}}').monthly_cost(); assert r.total_monthly_usd == 14.0, r; print('pip install ./python: ok', dynoshift.__version__)"
	cd node && npm pack --silent --pack-destination $(SCRATCH)/npm >/dev/null
	cd $(SCRATCH)/npm && npm init -y >/dev/null && npm install --no-audit --no-fund --loglevel=error ./dynoshift-*.tgz
	cd $(SCRATCH)/npm && node -e "const d = require('dynoshift'); const r = d.Formation.fromJson('{\"web\": {\"size\": \"basic\", \"quantity\": 2}}').monthlyCost(); if (r.totalMonthlyUsd !== 14) throw new Error('bad total ' + r.totalMonthlyUsd); console.log('npm install dynoshift: ok')"
	cd $(RUBY_DIR) && gem build --quiet dynoshift.gemspec -o $(SCRATCH)/dynoshift.gem >/dev/null
	gem install --quiet --local --ignore-dependencies --no-document --install-dir $(SCRATCH)/gems $(SCRATCH)/dynoshift.gem >/dev/null
	cd $(SCRATCH) && GEM_PATH=$(SCRATCH)/gems:$$(ruby -e 'print Gem.path.join(":")') ruby -e 'require "dynoshift"; r = Dynoshift::Formation.from_json(%q({"web": {"size": "basic", "quantity": 2}})).monthly_cost; raise "bad total #{r.total_monthly_usd}" unless r.total_monthly_usd == 14.0; puts "gem install dynoshift: ok #{Dynoshift::VERSION}"'

# The packages as users install them (tests/dist): the wheel into a fresh venv of the oldest
# Python >= 3.9 here, the npm main + platform packages into a fresh project (--offline), the
# platform gem into a scratch gem home, each on a PATH without cargo/rustc, each running its
# README quick start; then the source gem built by cargo at `gem install` (target/source-gem), and
# the sdist, CLI tarball and crate checked. The artefacts of `make dist` when dist/ holds them,
# otherwise this machine's debug builds packed the same way. Then the crate as `cargo package`
# would publish it.
DIST_HOST := $(CARGO_TARGET_DIR)/dist-host
test-dist: build-python build-node build-ruby build-cli
	@$(MAKE) --no-print-directory run-dist
run-dist:
	@if [ -f dist/SUMMARY.txt ]; then echo "test-dist: the artefacts of make dist (dist/)"; \
	else $(PY) scripts/dist.py stage-host $(DIST_HOST) >/dev/null; echo "test-dist: this machine's debug builds ($(DIST_HOST))"; fi
	DYNOSHIFT_DIST=$$([ -f dist/SUMMARY.txt ] && echo dist || echo $(DIST_HOST)) \
	  $(VENV)/bin/pytest -q -rs -p no:cacheprovider --rootdir tests/dist tests/dist
	$(VENV)/bin/mypy --strict --no-incremental scripts/dist.py tests/dist/test_dist.py
	cargo package --quiet --no-verify --allow-dirty -p dynoshift $(CARGO_FLAGS) 2>&1 | { grep -v '^warning: ignoring \(test\|example\)' || true; }

# Release artefacts for every front end, no Rust needed where they are installed (scripts/dist.py):
# manylinux2014 abi3 wheels (x86_64, aarch64; maturin --zig) and the sdist, npm main + per-platform
# addon packages, the x86_64-linux platform gem and the source gem, CLI tarballs with checksums,
# and the crate after `cargo publish --dry-run`. Prints artefact sizes and each step's time.
DIST_TARGETS ?= x86_64-unknown-linux-gnu,aarch64-unknown-linux-gnu
dist: $(VENV)/.installed node/node_modules/.installed build-ruby
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r python/requirements-dist.txt
	rustup target add $(subst $(comma), ,$(DIST_TARGETS))
	$(PY) scripts/dist.py build --targets $(DIST_TARGETS)

# Benchmarks print ratios and figures measured in one run; nothing here asserts a timing.
# BENCH_INGEST_MB sizes the generated log (>= 1 GB by default; generated once, then reused).
BENCH_INGEST_MB ?= 1100
# The S3 ingest figure: objects and MB (uncompressed) per object.
BENCH_S3_OBJECTS ?= 48
BENCH_S3_OBJECT_MB ?= 4
RELEASE_BIN := $(CARGO_TARGET_DIR)/$(HOST)/release
# HiGHS's time limit per fixture (s), and the gzip benchmark's log size (MB) and file count.
BENCH_HIGHS_SECONDS ?= 30
BENCH_GZ_MB ?= 400
BENCH_GZ_FILES ?= 8
bench: $(VENV)/.installed
	cargo build --quiet --release -p dynoshift $(CARGO_FLAGS) --features bench-stages --example bench_ingest_stages
	cargo build --quiet --release -p dynoshift $(CARGO_FLAGS) --bin dynoshift --examples
	@echo "== ingest: ours vs wc -l vs a plain Python regex parser, peak RSS, where the time goes"
	STAGES_BIN=$(RELEASE_BIN)/examples/bench_ingest_stages tests/bench/ingest_bench.sh $(RELEASE_BIN)/dynoshift $(BENCH_INGEST_MB)
	@echo "== ingest from S3: $(BENCH_S3_OBJECTS) gzip objects on moto_server (loopback) vs the same files on disk"
	tests/bench/s3_ingest_bench.sh $(RELEASE_BIN)/dynoshift $(PY) $(DYNOSHIFT_MOTO_SERVER) $(BENCH_S3_OBJECTS) $(BENCH_S3_OBJECT_MB)
	@echo "== node planning: exact solver vs first-fit-decreasing, proven gap, time"
	$(RELEASE_BIN)/examples/bench_nodes
	@echo "== node plans vs HiGHS (an independent exact MILP solver): ours, its optimum or bound, both times, feasibility"
	mkdir -p $(BENCH_DIR)
	$(RELEASE_BIN)/examples/bench_nodes --export $(BENCH_DIR)/nodes-highs.jsonl
	$(PY) tests/bench/nodes_highs.py $(BENCH_DIR)/nodes-highs.jsonl --time-limit $(BENCH_HIGHS_SECONDS)
	@echo "== gzip: ingest of a .gz vs gzip -dc vs a bare inflate (one core); $(BENCH_GZ_FILES) .gz files on every core vs one"
	tests/bench/gzip_bench.sh $(RELEASE_BIN)/dynoshift $(RELEASE_BIN)/examples/bench_inflate $(BENCH_GZ_MB) $(BENCH_GZ_FILES)
	@echo "== cutover engine: overhead per stage and Route53 calls (memory provider, zero delays)"
	$(RELEASE_BIN)/examples/bench_cutover
	@echo "== health gates: first failing probe -> rollback batch; probe throughput and RSS"
	$(RELEASE_BIN)/examples/bench_gates --seconds 60 --runs 3
	@echo "== drain receiver: frames/s (every batch fsynced) vs ingest of the same frames, POST latency at 5,000 frames/s"
	@echo "   batches of 400 frames (~100 KiB: Logplex's http_drain_target_bytes), then of 100; 8 drain connections, one POST in flight each"
	$(RELEASE_BIN)/examples/bench_drain --hours 12 --batch 400 --rate 5000 --seconds 20
	$(RELEASE_BIN)/examples/bench_drain --hours 12 --batch 100 --rate 5000 --seconds 20
	@echo "== drain receiver: RSS of its own process over a 10-minute soak at 5,000 frames/s, its dedupe window filled first"
	$(RELEASE_BIN)/examples/bench_drain --hours 6 --batch 100 --rate 5000 --soak-seconds 600 --cli $(RELEASE_BIN)/dynoshift
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

# ---- reliability (tests/e2e/reliability): the CLI against moto_server on loopback ------------
# Crash and resume (SIGKILL at seeded moments, invariants read back with boto3), a Route53 fault
# proxy at 30%, a 200-hostname fleet, gate probing at 500/s with RSS, two runs racing for the
# lock, and the crash loop again with the journal in S3 (a fresh runner directory and process for
# every invocation, S3 faults at 20%: SlowDown, replies lost after a write landed,
# PreconditionFailed); one summary table; exit 1 on any broken state. RELIABILITY_SEED picks
# another seed.
RELIABILITY = $(PY) tests/e2e/reliability/reliability.py --gates-bin $(BIN)/examples/reliability_gates
reliability: $(VENV)/.installed build-cli
	cargo build --quiet -p dynoshift --example reliability_gates $(CARGO_FLAGS)
	$(RELIABILITY) --kills 100 --fault-runs 10 --fleet-hosts 200 --gate-seconds 60 --concurrency-trials 6 --s3-kills 30

# The same checks, small (>= 10 kills, 6 with the journal in S3, gates for 10 s); part of `make test`.
reliability-smoke: $(VENV)/.installed build-cli
	cargo build --quiet -p dynoshift --example reliability_gates $(CARGO_FLAGS)
	@$(MAKE) --no-print-directory run-reliability
run-reliability:
	$(VENV)/bin/mypy --strict --no-incremental tests/e2e/reliability
	$(RELIABILITY) --kills 10 --kills-per-run 3-4 --soak 1 --fault-runs 1 --fleet-hosts 200 --gate-seconds 10 --concurrency-trials 2 --s3-kills 6

# ---- fuzzing (not part of `make test`) ------------------------------------------------------
# cargo-fuzz (pinned in fuzz/install-cargo-fuzz.sh) on the stable toolchain: RUSTC_BOOTSTRAP=1
# lets stable rustc take the -Z flags libFuzzer's instrumentation needs. Each target runs for
# FUZZ_SECONDS from its corpus (fuzz/corpus/<target>, seeded from tests/vectors and fixtures);
# a crash stops the run and leaves its input in fuzz/artifacts/<target>.
FUZZ_TARGETS := parse_line ingest_feed formation_json cutover_plan node_plan_request journal
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 10
FUZZ_TOOLS := $(CARGO_TARGET_DIR)/tools
CARGO_FUZZ := RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR=$(CARGO_TARGET_DIR)/fuzz $(FUZZ_TOOLS)/bin/cargo-fuzz
fuzz-tools:
	TOOLS=$(FUZZ_TOOLS) fuzz/install-cargo-fuzz.sh
	fuzz/seed-corpus.sh

fuzz: fuzz-tools
	@for t in $(FUZZ_TARGETS); do \
	  echo "== fuzz $$t ($(FUZZ_SECONDS) s)"; \
	  (cd fuzz && $(CARGO_FUZZ) run --target $(HOST) $$t -- -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 -print_final_stats=1 2>&1 | tail -n 40) || exit 1; \
	done

fuzz-smoke:
	$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(FUZZ_SMOKE_SECONDS)

clean:
	rm -rf target $(VENV) node/node_modules $(RUBY_NATIVE)
