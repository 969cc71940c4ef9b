#!/usr/bin/env bash
# The project's test command: builds the binaries the harness starts as child
# processes, then runs every test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --workspace --bins
cargo test --workspace --no-fail-fast "$@"
