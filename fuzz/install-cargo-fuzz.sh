#!/usr/bin/env bash
# Installs the pinned cargo-fuzz into $TOOLS (default: target/tools) unless it is already there.
# cargo-fuzz drives libFuzzer, which needs nightly-only rustc flags (-Zsanitizer, coverage
# instrumentation); the Makefile runs it on the stable toolchain with RUSTC_BOOTSTRAP=1.
set -euo pipefail
CARGO_FUZZ_VERSION=0.13.2
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TOOLS="${TOOLS:-$ROOT/target/tools}"
if "$TOOLS/bin/cargo-fuzz" --version 2>/dev/null | grep -qx "cargo-fuzz $CARGO_FUZZ_VERSION"; then
  exit 0
fi
CARGO_TARGET_DIR="$ROOT/target/tools-build" \
  cargo install --quiet --locked --root "$TOOLS" cargo-fuzz --version "$CARGO_FUZZ_VERSION"
