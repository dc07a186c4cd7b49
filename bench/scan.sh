#!/usr/bin/env bash
# Scan benchmark (BENCHMARKS.md): `mtlsguard check` over the whole corpus with 1 and 2
# threads (files, MB, seconds, MB/s, peak RSS), then mtlsguard and Checkov side by side on
# a sample both finish in a few minutes, and their ratio.
#
#   bash bench/scan.sh [CORPUS] [SAMPLE]
#
# CORPUS defaults to ../shared/corpus beside the repository (or $MTLSGUARD_CORPUS); SAMPLE
# to its Azure+ALZ-Bicep folder. Needs GNU time (/usr/bin/time, Debian package `time`).
# Checkov 3.3.30 is installed into a throwaway venv ($CHECKOV_VENV, default
# target/checkov-venv) on first use; SKIP_CHECKOV=1 skips it.
#
# Wall-clock seconds depend on the machine's load: the CPU seconds (user + sys) and the
# ratios, all measured in the same run, are the figures to compare.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
corpus=${1:-${MTLSGUARD_CORPUS:-$root/../shared/corpus}}
sample=${2:-$corpus/Azure+ALZ-Bicep}
[ -d "$corpus" ] || { echo "no corpus at $corpus" >&2; exit 2; }
corpus=$(realpath "$corpus") sample=$(realpath "$sample")
[ -x /usr/bin/time ] || { echo "needs GNU time: apt-get install -y time" >&2; exit 2; }

cargo build --release -q -p mtlsguard
bin=$root/target/release/mtlsguard
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# What check reads: .bicep, .json and .jsonc files outside hidden folders (non-template
# JSON is sniffed and skipped; .gitignore is honoured, the corpus has none that matter).
inputs() {
  find "$1" -type f -not -path '*/.*'  \( -iname '*.bicep' -o -iname '*.json' -o -iname '*.jsonc' \) -printf '%s\n' |
    awk '{ n++; b += $1 } END { printf "%d %d\n", n, b }'
}

# Runs a command under GNU time; prints "wall cpu rss_kib" (exit codes 0 and 1 are results).
timed() {
  local code=0
  /usr/bin/time -f '%e %U %S %M' -o "$out/time" "$@" >"$out/stdout" 2>"$out/stderr" || code=$?
  if [ "$code" -gt 1 ]; then
    echo "failed ($code): $*" >&2
    tail -5 "$out/stderr" >&2
    exit 1
  fi
  # GNU time puts "Command exited with non-zero status N" first: the figures are the last line.
  tail -n 1 "$out/time" | awk '{ printf "%s %.2f %s\n", $1, $2 + $3, $4 }'
}

row() { # label files bytes wall cpu rss
  awk -v l="$1" -v n="$2" -v b="$3" -v w="$4" -v c="$5" -v r="$6" 'BEGIN {
    mb = b / 1e6
    printf "%-34s %6d %8.1f %8.2f %8.2f %8.1f %8.1f %8.0f\n", l, n, mb, w, c, mb / w, mb / c, r / 1024 }'
}
header() {
  printf "%-34s %6s %8s %8s %8s %8s %8s %8s\n" "" files MB wall_s cpu_s MB/s_wall MB/s_cpu RSS_MiB
}

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
read -r files bytes < <(inputs "$corpus")
echo
echo "== mtlsguard check over the whole corpus ($corpus)"
header
declare -A wall cpu
for j in 1 2; do
  read -r w c r < <(timed "$bin" check -j "$j" --output-format json "$corpus")
  wall[$j]=$w cpu[$j]=$c
  row "mtlsguard check -j $j" "$files" "$bytes" "$w" "$c" "$r"
done
findings=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$out/stdout")
echo "findings: $findings (all levels); speed-up 1 -> 2 threads: $(awk -v a="${wall[1]}" -v b="${wall[2]}" 'BEGIN { printf "%.2fx wall", a / b }')"

if [ "${SKIP_CHECKOV:-0}" = 1 ]; then
  echo "SKIP_CHECKOV=1: no Checkov comparison"
  exit 0
fi
venv=${CHECKOV_VENV:-$root/target/checkov-venv}
if [ ! -x "$venv/bin/checkov" ]; then
  echo "installing checkov==3.3.30 into $venv ..."
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q checkov==3.3.30
fi

echo
read -r sfiles sbytes < <(inputs "$sample")
echo "== the same files through both tools: $sample"
header
read -r mw mc mr < <(timed "$bin" check -j 1 --output-format json "$sample")
row "mtlsguard check -j 1" "$sfiles" "$sbytes" "$mw" "$mc" "$mr"
mfound=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$out/stdout")
read -r m2w m2c m2r < <(timed "$bin" check -j 2 --output-format json "$sample")
row "mtlsguard check -j 2" "$sfiles" "$sbytes" "$m2w" "$m2c" "$m2r"
# Checkov exits 1 when a check fails; BC_SKIP_MAPPING and the flags keep it offline.
read -r cw cc cr < <(BC_SKIP_MAPPING=TRUE CHECKOV_RUN_SCA_PACKAGE_SCAN_V2=false timed \
  "$venv/bin/checkov" -d "$sample" --framework arm bicep --check CKV_AZURE_17 \
  --skip-download --quiet --compact -o json)
row "checkov --check CKV_AZURE_17" "$sfiles" "$sbytes" "$cw" "$cc" "$cr"
cfound=$(python3 - "$out/stdout" <<'PY'
import json, sys
try:
    data = json.load(open(sys.argv[1]))
except ValueError:
    print("?"); sys.exit()
reports = data if isinstance(data, list) else [data]
print(sum(len(r.get("results", {}).get("failed_checks", [])) for r in reports if isinstance(r, dict)))
PY
)
echo "findings: mtlsguard $mfound (all rules and levels), checkov $cfound failed CKV_AZURE_17"
awk -v m="$mw" -v mc="$mc" -v c="$cw" -v cc="$cc" 'BEGIN {
  printf "ratio checkov / mtlsguard (-j 1): %.0fx wall, %.0fx cpu\n", c / m, cc / mc }'
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
