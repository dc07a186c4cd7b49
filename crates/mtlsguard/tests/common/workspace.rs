//! What the cross-file suites share: the templates they call, a run with a home folder of
//! their own (so the real `~/.bicep` module cache is never read), and a compact listing
//! of the JSON output.

use std::path::Path;

use serde_json::Value;

use super::{Run, normalize, run_with};

/// An App Service site whose defaults describe an external site: no finding alone, a
/// finding (the default `clientCertMode`) once a caller makes it internal.
pub const SITE_BICEP: &str = "\
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
";

/// Calls `modules/site.bicep` as an internal site, leaving `clientCertMode` to the default.
pub const MAIN_BICEP: &str = "\
module site 'modules/site.bicep' = {
  name: 'site'
  params: {
    publicNetworkAccess: 'Disabled'
  }
}
";

/// [`SITE_BICEP`] as an ARM template (what the registry cache holds, compiled), whose
/// defaults are compliant: only a caller's value can make a finding.
pub const ARM_SITE: &str = r#"{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "parameters": {
    "publicNetworkAccess": { "type": "string", "defaultValue": "Enabled" },
    "clientCertMode": { "type": "string", "defaultValue": "Required" }
  },
  "resources": [
    {
      "type": "Microsoft.Web/sites",
      "apiVersion": "2022-03-01",
      "name": "app",
      "properties": {
        "publicNetworkAccess": "[parameters('publicNetworkAccess')]",
        "clientCertEnabled": true,
        "clientCertMode": "[parameters('clientCertMode')]"
      }
    }
  ]
}
"#;

/// A temporary tree holding `files`, and an empty `home/` for `HOME`.
pub fn tree(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("home")).unwrap();
    super::write_files(dir.path(), files);
    dir
}

/// Runs `mtlsguard <args>` in `dir/<cwd>` with `HOME` (and `USERPROFILE`) at `dir/home`.
pub fn run_in(dir: &Path, cwd: &str, args: &[&str]) -> Run {
    let home = dir.join("home");
    let home = home.to_str().unwrap();
    run_with(
        &dir.join(cwd),
        args,
        &[("HOME", home), ("USERPROFILE", home)],
    )
}

/// `check --output-format json <args>` in `dir/<cwd>`, listed by [`summary`]; with the
/// exit code and stderr.
pub fn check_json(dir: &Path, cwd: &str, args: &[&str]) -> (i32, String, String) {
    let mut full = vec!["check", "--output-format", "json"];
    full.extend_from_slice(args);
    let r = run_in(dir, cwd, &full);
    assert!(r.code <= 1, "exit {}: {}", r.code, r.stderr);
    (r.code, summary(&r.stdout, dir), normalize(&r.stderr, dir))
}

/// One line per finding (`path:line:col rule level message`), then one indented line per
/// related location (`-> path:line:col message`, the path only when in another file).
pub fn summary(json: &str, tmp: &Path) -> String {
    let v: Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}"));
    let pos = |r: &Value| format!("{}:{}", r["start"]["line"], r["start"]["column"]);
    let mut out = String::new();
    for f in v.as_array().unwrap() {
        out.push_str(&format!(
            "{}:{} {} {} {}\n",
            f["path"].as_str().unwrap(),
            pos(&f["range"]),
            f["rule"].as_str().unwrap(),
            f["level"].as_str().unwrap(),
            f["message"].as_str().unwrap()
        ));
        for rel in f["related"].as_array().unwrap() {
            let path = rel["path"]
                .as_str()
                .map(|p| format!("{p}:"))
                .unwrap_or_default();
            out.push_str(&format!(
                "  -> {path}{} {}\n",
                pos(&rel["range"]),
                rel["message"].as_str().unwrap()
            ));
        }
    }
    normalize(&out, tmp)
}
