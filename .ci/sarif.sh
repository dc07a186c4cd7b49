#!/usr/bin/env bash
# Validates `mtlsguard check --output-format sarif` with the official SARIF validator
# (npm package @microsoft/sarif-multitool), installed into target/sarif-multitool.
# Fails on any validator error. Usage: .ci/sarif.sh [path/to/mtlsguard]
set -euo pipefail
cd "$(dirname "$0")/.."

bin="${1:-}"
if [[ -z "$bin" ]]; then
  cargo build --quiet -p mtlsguard
  bin="target/debug/mtlsguard"
fi
# Absolute, since the path checks below run it from another folder.
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"

tool_dir="target/sarif-multitool"
if [[ ! -x "$tool_dir/node_modules/.bin/sarif-multitool" ]]; then
  mkdir -p "$tool_dir"
  npm install --silent --no-audit --no-fund --prefix "$tool_dir" @microsoft/sarif-multitool@^5 >/dev/null
fi
# npm may skip the package's postinstall (which only marks the binary executable).
find "$tool_dir/node_modules/@microsoft" -name Sarif.Multitool -type f -exec chmod u+x {} +

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Check the bundled examples when there are any, else a small sample set made here that
# exercises related locations, fixes, a BOM + CRLF ARM template, non-ASCII text (UTF-16
# columns) and a file-level error.
if [[ -d examples ]]; then
  samples="examples"
else
  samples="$work/samples"
  mkdir -p "$samples"
  cat > "$samples/app.bicep" <<'BICEP'
param mode string = 'Optional'

// Ünïcödé comment so that UTF-16 columns differ from bytes: 🔒
resource internalApi 'Microsoft.Web/sites@2022-03-01' = {
  name: 'internal-api-🔒'
  properties: { publicNetworkAccess: 'Disabled', clientCertEnabled: false, clientCertMode: mode }
}

resource missing 'Microsoft.Web/sites@2022-03-01' = {
  name: 'missing'
  properties: {
    publicNetworkAccess: 'Disabled'
  }
}

resource acrToken 'Microsoft.ContainerRegistry/registries/tokens@2023-07-01' = {
  name: 'reg/token'
  properties: {
    credentials: {
      certificates: []
      passwords: [ { name: 'password1' } ]
    }
  }
}
BICEP
  printf '\xef\xbb\xbf{\r\n  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",\r\n  "contentVersion": "1.0.0.0",\r\n  "resources": [\r\n    {\r\n      "type": "Microsoft.SignalRService/signalR",\r\n      "apiVersion": "2023-02-01",\r\n      "name": "s",\r\n      "properties": { "publicNetworkAccess": "Disabled" }\r\n    }\r\n  ]\r\n}\r\n' > "$samples/arm.json"
  printf 'resource bad \xff\n' > "$samples/not-utf8.bicep"
  printf '// mtlsguard-disable-next-line cassandra-client-cert\n{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", "resources": [}\n' > "$samples/broken.json"
fi

out="$work/mtlsguard.sarif"
status=0
"$bin" check "$samples" --output-format sarif > "$out" || status=$?
if [[ $status -gt 1 ]]; then
  echo "sarif.sh: mtlsguard check failed with exit code $status" >&2
  exit 1
fi
results=$(grep -c '"ruleId"' "$out" || true)

log="$work/validate.txt"
vstatus=0
"$tool_dir/node_modules/.bin/sarif-multitool" validate "$out" > "$log" 2>&1 || vstatus=$?
cat "$log"
if [[ $vstatus -ne 0 ]] || grep -qE ': error [A-Z]+[0-9]+' "$log"; then
  echo "sarif.sh: FAILED: the SARIF output does not validate (exit $vstatus)" >&2
  exit 1
fi
echo "sarif.sh: SARIF output of 'check $samples' ($results results) validates with no errors"

# Paths as users give them: through `..`, and absolute. Nothing at the validator's
# default level may remain: no error, no warning, no note.
mkdir -p "$work/tree/cwd"
cp -r "$samples" "$work/tree/samples"
for arg in "../samples" "$work/tree/samples"; do
  out="$work/paths.sarif"
  (cd "$work/tree/cwd" && "$bin" check "$arg" --output-format sarif > "$out") || [[ $? -le 1 ]]
  "$tool_dir/node_modules/.bin/sarif-multitool" validate "$out" > "$log" 2>&1 || { cat "$log"; exit 1; }
  if grep -qE ': (error|warning|note) [A-Z]+[0-9]+' "$log"; then
    cat "$log"
    echo "sarif.sh: FAILED: 'check $arg' gives SARIF the validator comments on" >&2
    exit 1
  fi
  echo "sarif.sh: 'check $arg' from another folder validates with no errors, warnings or notes"
done

# Across files: a finding in the caller whose related locations lie in the module it
# calls, one in a folder beside the one checked (relatedLocations of another artifact).
mkdir -p "$work/cross/app" "$work/cross/shared" "$work/cross/home"
cat > "$work/cross/shared/site.bicep" <<'BICEP'
param publicNetworkAccess string = 'Enabled'
param clientCertMode string = 'Optional'

resource app 'Microsoft.Web/sites@2022-03-01' = {
  name: 'app'
  properties: {
    publicNetworkAccess: publicNetworkAccess
    clientCertEnabled: true
    clientCertMode: clientCertMode
  }
}
BICEP
cat > "$work/cross/app/main.bicep" <<'BICEP'
module site '../shared/site.bicep' = {
  name: 'site'
  params: {
    publicNetworkAccess: 'Disabled'
  }
}
BICEP
out="$work/cross.sarif"
# Its own HOME: the module cache of whoever runs this is not read.
(cd "$work/cross" && HOME="$work/cross/home" "$bin" check app --output-format sarif > "$out") || [[ $? -le 1 ]]
grep -q '"relatedLocations"' "$out" || { echo "sarif.sh: FAILED: no related locations across files" >&2; exit 1; }
"$tool_dir/node_modules/.bin/sarif-multitool" validate "$out" > "$log" 2>&1 || { cat "$log"; exit 1; }
if grep -qE ': (error|warning|note) [A-Z]+[0-9]+' "$log"; then
  cat "$log"
  echo "sarif.sh: FAILED: SARIF across files gives output the validator comments on" >&2
  exit 1
fi
echo "sarif.sh: 'check app' calling a module in a sibling folder validates with no errors, warnings or notes"
