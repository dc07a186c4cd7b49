#!/usr/bin/env bash
# Fills fuzz/corpus/<target> with seeds (not committed): the rule fixtures, examples/, and
# a sample of the shared corpus of real templates (../shared/corpus relative to the repo),
# when present. Usage: fuzz/seed.sh [SAMPLE_SIZE]   (default 300 corpus files)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
sample="${1:-300}"
shared="$repo/../shared/corpus"
[ -d "$shared" ] || shared="/work/shared/corpus"

files=()
while IFS= read -r f; do files+=("$f"); done < <(
  find "$repo/crates/mtlsguard-analyzer/src/rules/fixtures" "$repo/examples" -type f \
    \( -name '*.bicep' -o -name '*.json' -o -name '*.jsonc' \) | sort
)
if [ -d "$shared" ]; then
  # A deterministic sample: every Nth file, small enough to keep runs fast.
  mapfile -t all < <(find "$shared" -type f \( -name '*.bicep' -o -name '*.json' \) -size -64k | sort)
  step=$(( ${#all[@]} / sample ))
  [ "$step" -ge 1 ] || step=1
  for ((i = 0; i < ${#all[@]}; i += step)); do files+=("${all[$i]}"); done
else
  echo "seed.sh: $shared not found; seeding from fixtures and examples only" >&2
fi

for target in analyze_bytes mutate_templates incremental_edits fixes evaluate workspace; do
  mkdir -p "$here/corpus/$target"
done
n=0
for f in "${files[@]}"; do
  name="$(printf '%s' "$f" | md5sum | cut -c1-16)"
  cp "$f" "$here/corpus/analyze_bytes/$name"
  cp "$f" "$here/corpus/mutate_templates/$name"
  # fixes: the first byte picks the language (even: Bicep, odd: JSON).
  case "$f" in
    *.bicep) { printf '\0'; cat "$f"; } > "$here/corpus/fixes/$name" ;;
    *) { printf '\1'; cat "$f"; } > "$here/corpus/fixes/$name" ;;
  esac
  # incremental: arbitrary's layout (flag byte, then the text); edits come from mutation.
  case "$f" in
    *.bicep) { printf '\0'; cat "$f"; } > "$here/corpus/incremental_edits/$name" ;;
    *) { printf '\1'; cat "$f"; } > "$here/corpus/incremental_edits/$name" ;;
  esac
  n=$((n + 1))
done
# evaluate: expressions, one per seed (the target places them in templates itself).
i=0
while IFS= read -r expr; do
  printf '%s' "$expr" > "$here/corpus/evaluate/expr$i"
  i=$((i + 1))
done <<'EXPRS'
enable ? 'Enabled' : 'Disabled'
!empty(p) ? p : (!empty([1]) ? 'Disabled' : null)
union({ a: 1 }, p, { clientCertEnabled: false })
{ publicNetworkAccess: 'Disabled', ...p, x: [for i in range(0, 3): i] }
[1, ...[2, ...[3]]]
'${'${'a'}'}b'
p.?a[?0].b!
coalesce(null, tryGet(p, 'a', 'b'), 'x') =~ 'X'
length(concat(b, b)) > 2 && toLower('A') == 'a' || int('1') % 2 != 0
json('{"a": [true, null, 1]}').a[0]
if(equals(parameters('x'), 'a'), createObject('k', variables('a')), createArray())
EXPRS
# workspace: the input is a program (see its target), so a few programs do: two files
# calling each other, a loop, a registry module, a parameters file, a config.
w=0
for prog in '\x02\x00\x02\x00\x01\x00\x00\x01\x02\x05\x00\x00' \
  '\x01\x00\x03\x01\x00\x05\x02\x07\x00\x00' \
  '\x03\x00\x02\x00\x08\x00\x00\x05\x01\x01\x00\x01\x00\x07' \
  '\x02\x03\x02\x01\x06\x00\x00\x04\x00' \
  '\x02\x00\x01\x00\x0a\x00\x00\x02\x01\x08\x00\x00\x01\x00\x00'; do
  printf "$prog" > "$here/corpus/workspace/prog$w"
  w=$((w + 1))
done
echo "seed.sh: $n seed files per target in $here/corpus/, $i expressions for evaluate, $w programs for workspace"
