#!/usr/bin/env bash
# Fuzz smoke run: every cargo-fuzz target for a short time (default 60 s each; CI budget
# is tight, so FUZZ_SECONDS=30 is fine too). Seeds come from fuzz/seed.sh (fixtures,
# examples and, when present, a sample of ../shared/corpus). A crash fails the run and
# leaves the input in fuzz/artifacts/<target>/.
# Usage: .ci/fuzz.sh [SECONDS_PER_TARGET]
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds="${1:-${FUZZ_SECONDS:-60}}"
export RUSTC_BOOTSTRAP=1   # cargo-fuzz needs -Z flags; the stable toolchain allows them this way
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
./seed.sh 200
cargo fuzz build -O
mkdir -p logs
for target in analyze_bytes mutate_templates incremental_edits fixes evaluate workspace; do
  echo "::: fuzz $target for ${seconds}s"
  set +e
  cargo fuzz run -O "$target" "corpus/$target" -- \
    -max_total_time="$seconds" -max_len=65536 -timeout=30 -rss_limit_mb=4096 \
    -print_final_stats=1 > "logs/$target.log" 2>&1
  code=$?
  set -e
  # libFuzzer's progress lines are noise here; its stats and any crash report are not.
  grep -E '^(stat::|==|SUMMARY|Done)|panicked|Crash|ERROR' "logs/$target.log" || true
  [ "$code" = 0 ] || { echo "fuzz target $target failed (exit $code); log: fuzz/logs/$target.log"; tail -40 "logs/$target.log"; exit 1; }
done
