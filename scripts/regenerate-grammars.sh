#!/usr/bin/env bash
# Regenerates the parsers of our grammars (crates/grammar-*/src/parser.c and friends) from
# their grammar.js. Each grammar extends a published tree-sitter grammar, which npm brings
# (pinned in the crate's package.json) into the crate's node_modules/, never into git.
#
#   bash scripts/regenerate-grammars.sh            # every grammar
#   bash scripts/regenerate-grammars.sh bicep      # crates/grammar-bicep only
#
# Needs Node.js/npm and the tree-sitter CLI from crates.io (the npm package of the CLI
# downloads a prebuilt binary, which fails without internet):
#   cargo install --locked tree-sitter-cli@0.27.1
set -euo pipefail
cd "$(dirname "$0")/.."
want=${1:-}
if ! command -v tree-sitter >/dev/null; then
  echo "tree-sitter CLI not found: cargo install --locked tree-sitter-cli@0.27.1" >&2
  exit 1
fi
for dir in crates/grammar-*/; do
  name=$(basename "$dir"); name=${name#grammar-}
  [ -z "$want" ] || [ "$want" = "$name" ] || continue
  echo "== $dir"
  ( cd "$dir"
    # --ignore-scripts: we need the base's grammar.js, not its Node.js binding.
    npm ci --ignore-scripts --no-audit --no-fund --silent
    # ABI 15 is what the tree-sitter 0.25 runtime the analyzer links loads.
    tree-sitter generate --abi 15 grammar.js )
done
