//! End-to-end tests of `mtlsguard check` and `mtlsguard rule`: the real binary, real files
//! in temporary folders, every output format, fixes, exit codes and configuration.

mod common;

use std::fs;
use std::path::Path;

use common::{ACR_BICEP, normalize, run, run_with, write_files};

/// Two App Service findings: one with a safe fix, one decided through a param the file
/// uses twice (a related location, and an unsafe fix: the output shares the default).
const APP_BICEP: &str = "\
param mode string = 'Optional'

resource internalApi 'Microsoft.Web/sites@2022-03-01' = {
  name: 'internal-api'
  properties: {
    publicNetworkAccess: 'Disabled'
    clientCertEnabled: false
    clientCertMode: mode
  }
}

output deployedMode string = mode
";

/// An ARM template with a BOM and CRLF line endings: a SignalR finding with a safe fix.
const ARM_BOM_CRLF: &[u8] = b"\xEF\xBB\xBF{\r\n  \"$schema\": \"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#\",\r\n  \"contentVersion\": \"1.0.0.0\",\r\n  \"resources\": [\r\n    {\r\n      \"type\": \"Microsoft.SignalRService/signalR\",\r\n      \"apiVersion\": \"2023-02-01\",\r\n      \"name\": \"signalr\",\r\n      \"properties\": {\r\n        \"publicNetworkAccess\": \"Disabled\",\r\n        \"tls\": { \"clientCertEnabled\": false }\r\n      }\r\n    }\r\n  ]\r\n}\r\n";

/// Non-ASCII text before the finding on its line: columns differ between characters
/// (text, json, github) and UTF-16 code units (SARIF).
const EMOJI_BICEP: &str = "\
resource site 'Microsoft.Web/sites@2022-03-01' = {
  name: 'internal'
  properties: { description: '🔒 é', publicNetworkAccess: 'Disabled', clientCertEnabled: false, clientCertMode: 'Required' }
}
";

/// Externally facing: no finding.
const CLEAN_BICEP: &str = "\
resource site 'Microsoft.Web/sites@2022-03-01' = {
  name: 'public'
  properties: { publicNetworkAccess: 'Enabled' }
}
";

/// Only an info-level finding (a suppression that suppresses nothing).
const INFO_BICEP: &str = "\
#disable-next-line apim-client-cert
resource site 'Microsoft.Web/sites@2022-03-01' = {
  name: 'public'
  properties: { publicNetworkAccess: 'Enabled' }
}
";

const NOT_ARM_JSON: &str = r#"{ "name": "some-package", "version": "1.0.0", "properties": { "clientCertEnabled": false } }"#;

/// A workspace with a bit of everything.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            ("app.bicep", APP_BICEP.as_bytes()),
            ("arm.json", ARM_BOM_CRLF),
            ("package.json", NOT_ARM_JSON.as_bytes()),
            ("notes.txt", b"not checked"),
            ("nested/acr.bicep", ACR_BICEP.as_bytes()),
            ("nested/emoji.bicep", EMOJI_BICEP.as_bytes()),
            (
                "nested/latin1.bicep",
                b"// caf\xE9\nresource x 'Microsoft.Web/sites@2022-03-01' = {}\n",
            ),
            (".gitignore", b"build/\n"),
            ("build/generated.bicep", APP_BICEP.as_bytes()),
        ],
    );
    dir
}

#[test]
fn text_output() {
    let dir = project();
    let r = run(dir.path(), &["check"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(r.stderr, "");
    assert!(
        !r.stdout.contains('\x1b'),
        "no colors when stdout is not a terminal"
    );
    insta::assert_snapshot!("text", r.stdout);
}

#[test]
fn json_output() {
    let dir = project();
    let r = run(dir.path(), &["check", "--output-format", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let arr = v.as_array().unwrap();
    for f in arr {
        for key in [
            "path", "rule", "level", "message", "range", "related", "fix",
        ] {
            assert!(f.get(key).is_some(), "every finding has {key}: {f}");
        }
    }
    // The BOM is not part of the columns but is part of the byte offsets.
    let arm = arr.iter().find(|f| f["path"] == "arm.json").unwrap();
    let start = &arm["range"]["start"];
    let offset = start["offset"].as_u64().unwrap() as usize;
    assert_eq!(
        &ARM_BOM_CRLF[offset..offset + 20],
        b"\"clientCertEnabled\":"
    );
    insta::assert_snapshot!("json", r.stdout);
}

#[test]
fn sarif_output() {
    let dir = project();
    let r = run(dir.path(), &["check", "--output-format", "sarif"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let rules = v["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    let app = rules
        .iter()
        .find(|r| r["id"] == "app-service-client-cert")
        .unwrap();
    assert_eq!(
        app["helpUri"],
        concat!(
            env!("CARGO_PKG_REPOSITORY"),
            "/blob/main/crates/mtlsguard-analyzer/src/rules/docs/app-service-client-cert.md"
        )
    );
    assert_eq!(app["defaultConfiguration"]["level"], "warning");
    // The emoji line: UTF-16 columns (🔒 is two code units).
    let results = v["runs"][0]["results"].as_array().unwrap();
    let emoji = results
        .iter()
        .find(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "nested/emoji.bicep"
        })
        .unwrap();
    assert_eq!(
        emoji["locations"][0]["physicalLocation"]["region"]["startColumn"],
        71
    );
    // Rule docs change with the rules; keep them out of the snapshot.
    let mut v = v;
    for rule in v["runs"][0]["tool"]["driver"]["rules"]
        .as_array_mut()
        .unwrap()
    {
        assert!(
            rule["help"]["markdown"].is_string() && rule["shortDescription"]["text"].is_string()
        );
        // fullDescription comes from the docs' first paragraph, when there is one.
        for key in ["help", "fullDescription", "shortDescription"] {
            rule[key] = "[docs]".into();
        }
    }
    v["runs"][0]["tool"]["driver"]["version"] = "[version]".into();
    v["runs"][0]["tool"]["driver"]["semanticVersion"] = "[version]".into();
    let text = normalize(&serde_json::to_string_pretty(&v).unwrap(), dir.path());
    insta::assert_snapshot!("sarif", text);
}

#[test]
fn github_output() {
    let dir = project();
    let r = run(dir.path(), &["check", "--output-format", "github"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    insta::assert_snapshot!("github", r.stdout);
}

#[test]
fn threads_change_nothing_but_speed() {
    let dir = project();
    let default = run(dir.path(), &["check", "--output-format", "json"]);
    assert_eq!(default.code, 1, "{}", default.stderr);
    for args in [&["-j", "1"][..], &["--threads", "2"], &["-j", "7"]] {
        let mut argv = vec!["check", "--output-format", "json"];
        argv.extend_from_slice(args);
        let r = run(dir.path(), &argv);
        assert_eq!(
            (r.code, r.stdout.as_str(), r.stderr.as_str()),
            (
                default.code,
                default.stdout.as_str(),
                default.stderr.as_str()
            ),
            "{args:?}"
        );
    }
    for bad in ["0", "two"] {
        let r = run(dir.path(), &["check", "-j", bad]);
        assert_eq!(r.code, 2, "-j {bad}: {}", r.stderr);
        assert!(r.stderr.contains("--threads"), "-j {bad}: {}", r.stderr);
    }
}

#[test]
fn exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            ("clean.bicep", CLEAN_BICEP.as_bytes()),
            ("info.bicep", INFO_BICEP.as_bytes()),
            ("acr.bicep", ACR_BICEP.as_bytes()),
        ],
    );
    let clean = run(dir.path(), &["check", "clean.bicep"]);
    assert_eq!(
        (clean.code, clean.stdout.as_str()),
        (0, "No problems found in 1 file.\n")
    );
    let info = run(dir.path(), &["check", "info.bicep", "clean.bicep"]);
    assert_eq!(
        info.code, 0,
        "info findings are reported but do not fail: {}",
        info.stdout
    );
    assert!(info.stdout.contains("unused-suppression"));
    assert_eq!(run(dir.path(), &["check", "acr.bicep"]).code, 1);
    assert_eq!(run(dir.path(), &["check"]).code, 1);

    let missing = run(dir.path(), &["check", "clean.bicep", "nope/missing.bicep"]);
    assert_eq!(missing.code, 2);
    assert_eq!(
        missing.stderr,
        "error: cannot read nope/missing.bicep: No such file or directory\n"
    );
    let usage = run(dir.path(), &["check", "--output-format", "xml"]);
    assert_eq!(usage.code, 2);
    assert!(
        usage.stderr.contains("invalid value 'xml'"),
        "{}",
        usage.stderr
    );
}

#[test]
fn gitignore_and_non_arm_json_are_skipped() {
    let dir = project();
    let r = run(dir.path(), &["check", "--output-format", "github"]);
    assert!(
        !r.stdout.contains("build/"),
        "gitignored folder skipped:\n{}",
        r.stdout
    );
    assert!(!r.stdout.contains("package.json"));
    assert!(!r.stdout.contains("notes.txt"));
    // A file named on the command line is checked even when ignored.
    let explicit = run(
        dir.path(),
        &[
            "check",
            "--output-format",
            "github",
            "build/generated.bicep",
        ],
    );
    assert_eq!(explicit.code, 1);
    assert!(
        explicit.stdout.contains("file=build/generated.bicep"),
        "{}",
        explicit.stdout
    );
    // A non-ARM JSON named explicitly is skipped with a word.
    let json = run(dir.path(), &["check", "package.json"]);
    assert_eq!(
        (json.code, json.stdout.as_str(), json.stderr.as_str()),
        (
            0,
            "",
            "warning: skipped package.json: not an ARM template (no deploymentTemplate.json `$schema`)\nwarning: no files analyzed\n"
        )
    );
}

#[test]
fn file_errors() {
    let dir = tempfile::tempdir().unwrap();
    let big_arm = format!(
        "{{\"$schema\": \"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#\", \"resources\": [], \"x\": \"{}\"}}",
        "a".repeat(3000)
    );
    let big_other = format!("{{\"data\": \"{}\"}}", "a".repeat(3000));
    write_files(
        dir.path(),
        &[
            ("big.json", big_arm.as_bytes()),
            ("big-not-arm.json", big_other.as_bytes()),
            ("big.bicep", format!("// {}\n", "a".repeat(3000)).as_bytes()),
            ("latin1.bicep", b"// caf\xE9\n"),
            ("utf16.bicep", b"\xFF\xFE/\0/\0"),
            ("small.bicep", CLEAN_BICEP.as_bytes()),
        ],
    );
    let r = run(dir.path(), &["check", "--max-file-size", "2KiB"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    insta::assert_snapshot!("file_errors", r.stdout);
    // The config's max-file-size applies too; the flag wins over it.
    fs::write(dir.path().join("mtlsguard.toml"), "max-file-size = 2048\n").unwrap();
    let r2 = run(dir.path(), &["check", "--output-format", "github"]);
    assert_eq!(r2.stdout.matches("too large").count(), 2, "{}", r2.stdout);
    let r3 = run(
        dir.path(),
        &[
            "check",
            "--output-format",
            "github",
            "--max-file-size",
            "1MiB",
        ],
    );
    assert_eq!(r3.stdout.matches("too large").count(), 0, "{}", r3.stdout);
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

#[cfg(unix)]
fn set_mode(p: &Path, m: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(p, fs::Permissions::from_mode(m)).unwrap();
}

#[test]
fn fix_keeps_bom_crlf_and_permissions() {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            ("arm.json", ARM_BOM_CRLF),
            ("app.bicep", APP_BICEP.as_bytes()),
        ],
    );
    let arm = dir.path().join("arm.json");
    #[cfg(unix)]
    set_mode(&arm, 0o640);

    let r = run(dir.path(), &["check", "--fix"]);
    // The param-decided finding has only an unsafe fix, so it remains: exit 1.
    assert_eq!(r.code, 1, "{}", r.stderr);
    insta::assert_snapshot!("fix_stdout", r.stdout);
    insta::assert_snapshot!("fix_stderr", r.stderr);

    let fixed = fs::read(&arm).unwrap();
    assert!(fixed.starts_with(b"\xEF\xBB\xBF{\r\n"), "BOM kept");
    let body = String::from_utf8(fixed[3..].to_vec()).unwrap();
    assert_eq!(
        body.matches('\n').count(),
        body.matches("\r\n").count(),
        "CRLF kept"
    );
    assert!(body.contains("\"tls\": { \"clientCertEnabled\": true }"));
    assert_eq!(
        body,
        String::from_utf8(ARM_BOM_CRLF[3..].to_vec())
            .unwrap()
            .replace(
                "\"clientCertEnabled\": false",
                "\"clientCertEnabled\": true"
            ),
        "nothing else changed"
    );
    #[cfg(unix)]
    assert_eq!(mode(&arm), 0o640, "permissions kept");
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // A second run finds nothing more to fix.
    let again = run(dir.path(), &["check", "--fix"]);
    assert_eq!(again.stderr, "", "nothing written the second time");

    // --unsafe-fixes also applies the param fix; then nothing is left.
    let r = run(dir.path(), &["check", "--fix", "--unsafe-fixes"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    insta::assert_snapshot!("unsafe_fix_stderr", r.stderr);
    insta::assert_snapshot!(
        "unsafe_fixed_app",
        fs::read_to_string(dir.path().join("app.bicep")).unwrap()
    );
}

#[test]
fn diff_shows_fixes_without_writing() {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            ("arm.json", ARM_BOM_CRLF),
            ("app.bicep", APP_BICEP.as_bytes()),
            ("acr.bicep", ACR_BICEP.as_bytes()),
        ],
    );
    let r = run(dir.path(), &["check", "--diff"]);
    assert_eq!(r.code, 1);
    insta::assert_snapshot!("diff", r.stdout.replace('\r', "␍"));
    assert_eq!(
        r.stderr,
        "Would fix 2 problems in 2 files (1 more with --unsafe-fixes).\n"
    );
    assert_eq!(fs::read(dir.path().join("arm.json")).unwrap(), ARM_BOM_CRLF);
    assert_eq!(
        fs::read_to_string(dir.path().join("app.bicep")).unwrap(),
        APP_BICEP
    );

    // Nothing fixable: exit 0 even though findings remain.
    let r = run(dir.path(), &["check", "--diff", "acr.bicep"]);
    assert_eq!(
        (r.code, r.stdout.as_str(), r.stderr.as_str()),
        (0, "", "No fixes to apply.\n")
    );
}

#[cfg(unix)]
#[test]
fn read_only_file_is_left_intact() {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            ("app.bicep", APP_BICEP.as_bytes()),
            ("arm.json", ARM_BOM_CRLF),
        ],
    );
    let app = dir.path().join("app.bicep");
    set_mode(&app, 0o444);
    let r = run(dir.path(), &["check", "--fix"]);
    assert_eq!(r.code, 2, "an unwritable file is an I/O error");
    assert!(
        r.stderr.contains("error: cannot write the fixes to app.bicep: the file is read-only; the file is unchanged"),
        "{}",
        r.stderr
    );
    assert_eq!(fs::read_to_string(&app).unwrap(), APP_BICEP);
    assert_eq!(mode(&app), 0o444);
    // The other file was still fixed, and app.bicep's findings are still reported.
    assert!(fs::read(dir.path().join("arm.json")).unwrap() != ARM_BOM_CRLF);
    assert!(
        r.stdout
            .contains("app.bicep:7:5: app-service-client-cert [*]"),
        "{}",
        r.stdout
    );
}

#[test]
fn config_discovery_levels_and_exclude() {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            ("mtlsguard.toml", b"exclude = [\"generated\", \"/legacy/*.bicep\"]\n\n[rules]\nacr-token-client-cert = \"error\"\n"),
            ("acr.bicep", ACR_BICEP.as_bytes()),
            ("generated/app.bicep", APP_BICEP.as_bytes()),
            ("src/generated/app.bicep", APP_BICEP.as_bytes()),
            ("legacy/app.bicep", APP_BICEP.as_bytes()),
            ("legacy/deeper/acr.bicep", ACR_BICEP.as_bytes()),
            // A nearer config wins for its folder (no merging with the outer one).
            ("team/mtlsguard.toml", b"[rules]\nacr-token-client-cert = \"off\"\napp-service-client-cert = \"info\"\n"),
            ("team/acr.bicep", ACR_BICEP.as_bytes()),
            ("team/app.bicep", APP_BICEP.as_bytes()),
        ],
    );
    let r = run(dir.path(), &["check", "--output-format", "github"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    insta::assert_snapshot!("config_discovery", r.stdout);

    // Only info findings under team/: exit 0.
    let team = run(&dir.path().join("team"), &["check"]);
    assert_eq!(team.code, 0, "{}", team.stdout);

    // Excluded files named explicitly are checked, unless --force-exclude.
    let explicit = run(
        dir.path(),
        &["check", "--output-format", "github", "generated/app.bicep"],
    );
    assert_eq!(explicit.code, 1);
    let forced = run(
        dir.path(),
        &["check", "--force-exclude", "generated/app.bicep"],
    );
    assert_eq!(
        (forced.code, forced.stdout.as_str(), forced.stderr.as_str()),
        (0, "", "warning: no files analyzed\n")
    );

    // --config replaces discovery for every file.
    fs::write(
        dir.path().join("ci.toml"),
        "[rules]\nacr-token-client-cert = \"off\"\napp-service-client-cert = \"off\"\n",
    )
    .unwrap();
    let pinned = run(dir.path(), &["check", "--config", "ci.toml"]);
    assert_eq!(
        (pinned.code, pinned.stdout.as_str()),
        (0, "No problems found in 7 files.\n"),
        "{}",
        pinned.stderr
    );
}

#[test]
fn invalid_config_names_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            ("a/mtlsguard.toml", b"# rules\n[rules]\napp-service-client-cert = \"error\"\napp-servise-client-cert = \"off\"\n"),
            ("a/app.bicep", APP_BICEP.as_bytes()),
            ("b/mtlsguard.toml", b"[rules]\nsignalr-client-cert = \"critical\"\n"),
            ("b/app.bicep", APP_BICEP.as_bytes()),
            ("c/mtlsguard.toml", b"exclude = [\"x\"]\nmax_file_size = 10\n"),
            ("c/app.bicep", APP_BICEP.as_bytes()),
            ("d/mtlsguard.toml", b"[rules\n"),
            ("d/app.bicep", APP_BICEP.as_bytes()),
        ],
    );
    let mut all = String::new();
    for sub in ["a", "b", "c", "d"] {
        let r = run(dir.path(), &["check", sub]);
        assert_eq!(r.code, 2, "{sub}: {}", r.stderr);
        assert_eq!(r.stdout, "", "nothing is checked with a broken config");
        all.push_str(&normalize(&r.stderr, dir.path()));
    }
    let r = run(dir.path(), &["check", "--config", "missing.toml"]);
    assert_eq!(r.code, 2);
    all.push_str(&normalize(&r.stderr, dir.path()));
    insta::assert_snapshot!("invalid_config", all);
}

#[test]
fn colors_only_when_wanted() {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), &[("acr.bicep", ACR_BICEP.as_bytes())]);
    let forced = run_with(dir.path(), &["check"], &[("CLICOLOR_FORCE", "1")]);
    assert!(
        forced.stdout.contains("\x1b["),
        "CLICOLOR_FORCE forces colors"
    );
    let off = run_with(
        dir.path(),
        &["check", "--no-color"],
        &[("CLICOLOR_FORCE", "1")],
    );
    assert!(!off.stdout.contains('\x1b'));
    let no_color = run_with(dir.path(), &["check"], &[("NO_COLOR", "1")]);
    assert!(!no_color.stdout.contains('\x1b'));
}

#[test]
fn rule_command() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(dir.path(), &["rule", "app-service-client-cert"]);
    assert_eq!(r.code, 0);
    assert!(
        r.stdout.starts_with("# app-service-client-cert"),
        "{}",
        r.stdout
    );

    let all = run(dir.path(), &["rule", "--all"]);
    assert_eq!(all.code, 0);
    insta::assert_snapshot!("rule_all", all.stdout);

    let unknown = run(dir.path(), &["rule", "app-service"]);
    assert_eq!(unknown.code, 2);
    insta::assert_snapshot!("rule_unknown", unknown.stderr);
}
