#!/usr/bin/env bash
# The test suite, as the README gives it: `cargo test --workspace` plus any
# arguments, for example `bash scripts/test.sh -p mtlsguard`.
#
# The corpus tests pass without checking anything when ../shared/corpus is
# absent, and cargo shows a passing test's output (their own notice) only with
# --nocapture. So this says so before the run, where it can be seen, and
# --require-corpus (CI) makes a missing corpus an error instead.
set -euo pipefail
cd "$(dirname "$0")/.."

require_corpus=0
if [ "${1:-}" = --require-corpus ]; then
  require_corpus=1
  shift
fi

# The path the tests use: <repo>/../shared/corpus.
corpus=../shared/corpus
if [ ! -d "$corpus" ]; then
  if [ "$require_corpus" = 1 ]; then
    echo "error: no corpus at $(pwd)/$corpus; CI runs the corpus tests and needs it" >&2
    exit 1
  fi
  echo "notice: no corpus at $(pwd)/$corpus: the corpus tests (grammar-bicep and grammar-json corpus, mtlsguard-analyzer corpus, mtlsguard fix_corpus) will pass without checking it" >&2
fi
if [ "$(id -u)" != 0 ]; then
  echo "notice: not root: the full-disk test in hostile_cli.rs (a tmpfs mount) will pass without checking" >&2
fi

exec cargo test --workspace "$@"
