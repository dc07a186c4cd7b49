//! End-to-end tests of `check`'s rule selection and output flags, and `completions`.

mod common;

use common::{ACR_BICEP, run, write_files};

/// One app-service finding (warning, safe fix) and an unused suppression (info).
const APP_BICEP: &str = "\
#disable-next-line apim-client-cert
resource site 'Microsoft.Web/sites@2022-03-01' = {
  name: 'internal'
  properties: { publicNetworkAccess: 'Disabled', clientCertEnabled: false, clientCertMode: 'Required' }
}
";

const ARM_JSON: &str = r#"{ "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", "resources": [] }"#;

fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            ("acr.bicep", ACR_BICEP.as_bytes()),
            ("app.bicep", APP_BICEP.as_bytes()),
            ("arm.json", ARM_JSON.as_bytes()),
            ("package.json", b"{ \"name\": \"x\" }"),
            ("notes.txt", b"not a template"),
            (
                "mtlsguard.toml",
                b"[rules]\nacr-token-client-cert = \"off\"\n",
            ),
        ],
    );
    dir
}

/// `rule` per github-format finding line.
fn rules(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|l| l.split(",title=").nth(1))
        .map(|t| t.split("::").next().unwrap().to_owned())
        .collect()
}

#[test]
fn select_extend_select_and_ignore() {
    let dir = workspace();
    let gh = |extra: &[&str]| {
        let mut argv = vec!["check", "--output-format", "github"];
        argv.extend_from_slice(extra);
        let r = run(dir.path(), &argv);
        assert_ne!(r.code, 2, "{extra:?}: {}", r.stderr);
        rules(&r.stdout)
    };
    assert_eq!(gh(&[]), ["unused-suppression", "app-service-client-cert"]);
    // --select replaces the set; a rule the config turns off runs at its default level.
    assert_eq!(
        gh(&["--select", "acr-token-client-cert"]),
        ["acr-token-client-cert", "acr-token-client-cert"]
    );
    let r = run(
        dir.path(),
        &[
            "check",
            "--output-format",
            "github",
            "--select",
            "acr-token-client-cert",
        ],
    );
    assert!(
        r.stdout.starts_with("::warning file=acr.bicep"),
        "{}",
        r.stdout
    );
    // Comma-separated, repeatable. A suppression of a rule that does not run is not
    // reported as unused: whether it would suppress something is unknown.
    assert_eq!(
        gh(&["--select", "unused-suppression,app-service-client-cert"]),
        ["app-service-client-cert"]
    );
    assert_eq!(
        gh(&[
            "--select",
            "unused-suppression",
            "--select",
            "apim-client-cert"
        ]),
        ["unused-suppression"]
    );
    assert_eq!(
        gh(&[
            "--extend-select",
            "acr-token-client-cert",
            "--ignore",
            "unused-suppression"
        ]),
        [
            "acr-token-client-cert",
            "acr-token-client-cert",
            "app-service-client-cert"
        ]
    );
    assert_eq!(
        gh(&[
            "--select",
            "app-service-client-cert",
            "--ignore",
            "app-service-client-cert"
        ]),
        Vec::<String>::new()
    );

    let bad = run(
        dir.path(),
        &["check", "--select", "app-service-client-cert,acr-token"],
    );
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr
            .contains("unknown rule id `acr-token`; known rules: app-service-client-cert, "),
        "{}",
        bad.stderr
    );
    let bad = run(dir.path(), &["check", "--ignore", "nope"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("'--ignore <IDS>'"), "{}", bad.stderr);
}

#[test]
fn exit_zero_and_quiet() {
    let dir = workspace();
    let r = run(dir.path(), &["check", "app.bicep"]);
    assert_eq!(r.code, 1);
    let zero = run(dir.path(), &["check", "--exit-zero", "app.bicep"]);
    assert_eq!((zero.code, &zero.stdout), (0, &r.stdout));
    let diff = run(dir.path(), &["check", "--diff", "--exit-zero"]);
    assert_eq!(diff.code, 0, "{}", diff.stderr);
    assert!(diff.stdout.contains("+++ b/app.bicep"));
    let missing = run(dir.path(), &["check", "--exit-zero", "missing.bicep"]);
    assert_eq!(missing.code, 2, "errors still exit 2");

    let quiet = run(dir.path(), &["check", "-q", "app.bicep"]);
    assert_eq!(quiet.code, 1);
    assert!(
        quiet
            .stdout
            .starts_with("app.bicep:1:20: unused-suppression"),
        "{}",
        quiet.stdout
    );
    assert!(!quiet.stdout.contains("Found"), "{}", quiet.stdout);
    let clean = run(dir.path(), &["check", "--quiet", "arm.json"]);
    assert_eq!((clean.code, clean.stdout.as_str()), (0, ""));
    let diff = run(dir.path(), &["check", "--diff", "--quiet"]);
    assert_eq!(diff.stderr, "");
}

#[test]
fn show_files_lists_what_would_be_checked() {
    let dir = workspace();
    let r = run(dir.path(), &["check", "--show-files"]);
    assert_eq!(
        (r.code, r.stdout.as_str(), r.stderr.as_str()),
        (0, "acr.bicep\napp.bicep\narm.json\n", "")
    );
    let r = run(dir.path(), &["check", "--show-files", "--fix"]);
    assert_eq!(r.code, 2, "--show-files does not fix");
}

#[test]
fn completions_for_every_shell() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let r = run(dir.path(), &["completions", shell]);
        assert_eq!(r.code, 0, "{shell}: {}", r.stderr);
        assert!(r.stdout.contains("extend-select"), "{shell}");
    }
    let r = run(dir.path(), &["completions", "tcsh"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("possible values: bash"), "{}", r.stderr);
}

/// Runs `mtlsguard <args>` in `dir` with `input` on stdin.
fn run_stdin(dir: &std::path::Path, args: &[&str], input: &str) -> common::Run {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(common::mtlsguard_bin())
        .current_dir(dir)
        .args(args)
        .env_remove("CLICOLOR_FORCE")
        .env_remove("FORCE_COLOR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    common::Run {
        code: out.status.code().unwrap(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

#[test]
fn stdin_is_checked_and_fixed_to_stdout() {
    let dir = workspace();
    let r = run_stdin(dir.path(), &["check", "-"], APP_BICEP);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stdout.starts_with("-:1:20: unused-suppression"),
        "{}",
        r.stdout
    );
    // Named: the extension picks the language, the folder the config (acr off here).
    let r = run_stdin(
        dir.path(),
        &[
            "check",
            "--stdin-filename",
            "sub/acr.bicep",
            "--output-format",
            "github",
        ],
        ACR_BICEP,
    );
    assert_eq!((r.code, r.stdout.as_str()), (0, ""), "{}", r.stderr);
    let r = run_stdin(
        dir.path(),
        &["check", "-", "--stdin-filename", "x.json"],
        ARM_JSON,
    );
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, "No problems found in 1 file.\n")
    );

    // --fix: the fixed text on stdout, the rest on stderr.
    let r = run_stdin(
        dir.path(),
        &[
            "check",
            "--fix",
            "--stdin-filename",
            "app.bicep",
            "--ignore",
            "unused-suppression",
        ],
        APP_BICEP,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        APP_BICEP.replace("clientCertEnabled: false", "clientCertEnabled: true")
    );
    assert!(
        r.stderr.contains("Fixed 1 problem in app.bicep:"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("No problems remain in 1 file."),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("app.bicep")).unwrap(),
        APP_BICEP,
        "no file is written"
    );
    // Nothing to fix (not even a template): the text comes back as it was.
    let r = run_stdin(
        dir.path(),
        &["check", "--fix", "--stdin-filename", "package.json"],
        "{ \"name\": \"x\" }",
    );
    assert_eq!((r.code, r.stdout.as_str()), (0, "{ \"name\": \"x\" }"));

    let bad = run_stdin(dir.path(), &["check", "--stdin-filename", "notes.txt"], "x");
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("must end in .bicep, .json or .jsonc"),
        "{}",
        bad.stderr
    );
    let bad = run_stdin(dir.path(), &["check", "-", "app.bicep"], "x");
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("cannot be checked together"),
        "{}",
        bad.stderr
    );
}

#[test]
fn honest_messages() {
    let dir = workspace();
    let r = run(dir.path(), &["check", "nosuch"]);
    assert_eq!(
        (r.code, r.stdout.as_str(), r.stderr.as_str()),
        (
            2,
            "",
            "error: cannot read nosuch: No such file or directory\n"
        )
    );
    let r = run(
        dir.path(),
        &["check", "notes.txt", "package.json", "arm.json"],
    );
    assert_eq!(r.code, 0);
    assert_eq!(
        r.stderr,
        "warning: skipped notes.txt: only .bicep, .json and .jsonc files are checked\n\
         warning: skipped package.json: not an ARM template (no deploymentTemplate.json `$schema`)\n"
    );
    assert_eq!(r.stdout, "No problems found in 1 file.\n");

    // Infos get a label under the caret and their own count.
    let r = run(
        dir.path(),
        &["check", "--ignore", "app-service-client-cert"],
    );
    assert!(
        r.stdout
            .contains("  |                    ---------------- info\n"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .ends_with("Found 1 info in 1 of 3 files.\n[*] 1 fixable with --fix.\n"),
        "{}",
        r.stdout
    );
    let r = run(
        dir.path(),
        &["check", "--extend-select", "acr-token-client-cert"],
    );
    assert!(
        r.stdout
            .ends_with("Found 3 warnings in 2 of 3 files; 1 info.\n[*] 2 fixable with --fix.\n"),
        "{}",
        r.stdout
    );
}

/// A finding whose only fix is unsafe (the param's default, which the output uses too).
const PARAM_BICEP: &str = "\
param mode string = 'Optional'
resource site 'Microsoft.Web/sites@2022-03-01' = {
  name: 'internal'
  properties: { publicNetworkAccess: 'Disabled', clientCertEnabled: true, clientCertMode: mode }
}
output deployedMode string = mode
";

#[test]
fn unsafe_fixes_left_are_counted_plainly() {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), &[("param.bicep", PARAM_BICEP.as_bytes())]);
    let r = run(dir.path(), &["check"]);
    assert!(
        r.stdout
            .ends_with("Found 1 warning in 1 of 1 file.\n1 fixable with --fix --unsafe-fixes.\n"),
        "{}",
        r.stdout
    );
    let r = run(dir.path(), &["check", "--fix"]);
    assert!(
        r.stdout
            .ends_with("Found 1 warning in 1 of 1 file.\n1 more fixable with --unsafe-fixes.\n"),
        "{}",
        r.stdout
    );
    let r = run(dir.path(), &["check", "--diff"]);
    assert_eq!(
        (r.code, r.stdout.as_str(), r.stderr.as_str()),
        (
            0,
            "",
            "No safe fixes to apply; 1 more with --unsafe-fixes.\n"
        )
    );
}
