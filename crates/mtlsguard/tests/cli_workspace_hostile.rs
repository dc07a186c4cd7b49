//! Hostile trees for `check` across files: cycles, symlink loops, deep chains, huge loops
//! and files, broken configs, paths leaving the workspace. The process must answer
//! (exit 0/1, or 2 for a broken config) quickly, with `unresolved-reference` infos
//! saying what could not be followed.

mod common;

use std::time::Instant;

use common::workspace::{SITE_BICEP, check_json, run_in, tree};

/// A module statement calling `path`, without params.
fn call(name: &str, path: &str) -> String {
    format!("module {name} '{path}' = {{\n  name: '{name}'\n}}\n")
}

/// `check --output-format json` in `dir/<cwd>`, timed (printed, never asserted: shared
/// CI machines vary too much).
fn timed(dir: &std::path::Path, cwd: &str, args: &[&str], what: &str) -> (i32, String, String) {
    let start = Instant::now();
    let out = check_json(dir, cwd, args);
    eprintln!("{what}: {:?}", start.elapsed());
    out
}

#[test]
fn cycles_and_self_calls_are_unresolved() {
    let dir = tree(&[
        ("a.bicep", call("b", "b.bicep").as_bytes()),
        ("b.bicep", call("a", "a.bicep").as_bytes()),
        ("self.bicep", call("me", "./self.bicep").as_bytes()),
    ]);
    let (code, found, stderr) = timed(dir.path(), ".", &[], "cycles");
    assert_eq!((code, stderr.as_str()), (0, ""), "{found}");
    insta::assert_snapshot!(found, @r"
    b.bicep:1:10 unresolved-reference info a.bicep calls back into a template that is already being called: a cycle of calls; the values it would supply are unknown
    self.bicep:1:11 unresolved-reference info self.bicep calls back into a template that is already being called: a cycle of calls; the values it would supply are unknown
    ");
}

#[cfg(unix)]
#[test]
fn a_symlink_loop_is_unresolved_not_a_hang() {
    let dir = tree(&[(
        "main.bicep",
        [call("a", "loop.bicep"), call("b", "loop/inner.bicep")]
            .concat()
            .as_bytes(),
    )]);
    std::os::unix::fs::symlink("loop.bicep", dir.path().join("loop.bicep")).unwrap();
    std::os::unix::fs::symlink("loop", dir.path().join("loop")).unwrap();
    let (code, found, _) = timed(dir.path(), ".", &["main.bicep"], "symlink loop");
    assert_eq!(code, 0, "{found}");
    insta::assert_snapshot!(found, @r"
    main.bicep:1:10 unresolved-reference info 'loop.bicep': cannot read it: Too many levels of symbolic links; the values it would supply are unknown
    main.bicep:4:10 unresolved-reference info 'loop/inner.bicep': cannot read it: Too many levels of symbolic links; the values it would supply are unknown
    ");
}

/// `m0.bicep` → `m1.bicep` → ... → `m999.bicep` → an internal site: followed 64 calls
/// deep, and the files below are not even read.
fn chain() -> tempfile::TempDir {
    let mut files: Vec<(String, String)> = (0..1000)
        .map(|i| {
            (
                format!("m{i}.bicep"),
                call("next", &format!("m{}.bicep", i + 1)),
            )
        })
        .collect();
    files.push(("m1000.bicep".into(), SITE_BICEP.into()));
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_bytes()))
        .collect();
    tree(&refs)
}

#[test]
fn a_chain_of_a_thousand_modules_is_bounded() {
    let dir = chain();
    // Only the top is checked: the rest is read as referenced.
    let (code, found, stderr) = timed(dir.path(), ".", &["m0.bicep"], "chain, top checked");
    assert_eq!((code, found.as_str(), stderr.as_str()), (0, "", ""));
    // All checked: each file's call is followed from the top, at most 64 deep, and the
    // depth is reported where it stops.
    let (code, found, stderr) = timed(dir.path(), ".", &[], "chain, all checked");
    assert_eq!((code, stderr.as_str()), (0, ""));
    let first = found.lines().find(|l| l.starts_with("m64.bicep:"));
    assert_eq!(
        first,
        Some(
            "m64.bicep:1:13 unresolved-reference info calls are nested deeper than 64: not followed further; the values it would supply are unknown"
        ),
        "{found}"
    );
    assert!(
        found.lines().all(|l| l.contains("nested deeper than 64")),
        "{found}"
    );
}

#[test]
fn a_module_called_ten_thousand_times_in_a_loop() {
    let main = "module many 'site.bicep' = [for i in range(0, 10000): {
  name: 'site${i}'
  params: {
    publicNetworkAccess: 'Disabled'
  }
}]
";
    let dir = tree(&[
        ("main.bicep", main.as_bytes()),
        ("site.bicep", SITE_BICEP.as_bytes()),
    ]);
    let (code, found, stderr) = timed(dir.path(), ".", &[], "10,000 calls");
    assert_eq!((code, stderr.as_str()), (1, ""));
    // More elements than a loop is unrolled: one call whose elements are unknown; the
    // default clientCertMode is bad whatever they are, and reported once.
    insta::assert_snapshot!(found, @r"
    main.bicep:1:13 app-service-client-cert warning clientCertMode is 'Optional' (param clientCertMode, site.bicep line 2): set it to 'Required' to require client certificates (in site.bicep, when called from main.bicep:1)
      -> site.bicep:2:31 the value of clientCertMode comes from param clientCertMode
      -> 4:5 param publicNetworkAccess puts the resource in scope
      -> site.bicep:9:5 the resource in site.bicep that gets the value
    ");
}

/// Generates files of 50 MB in the test's own temporary folder (removed when it ends).
#[test]
fn fifty_megabyte_parameters_file_and_module() {
    const PADDING: usize = 50 * 1024 * 1024;
    let template = common::workspace::ARM_SITE;
    let parameters = format!(
        r#"{{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
  "parameters": {{
    "padding": {{ "value": "{}" }},
    "publicNetworkAccess": {{ "value": "Disabled" }}
  }}
}}
"#,
        "a".repeat(PADDING)
    );
    let module = format!("// {}\n{SITE_BICEP}", "b".repeat(PADDING));
    let dir = tree(&[
        ("arm/azuredeploy.json", template.as_bytes()),
        ("arm/azuredeploy.parameters.json", parameters.as_bytes()),
        ("bicep/main.bicep", call("big", "big.bicep").as_bytes()),
        ("bicep/big.bicep", module.as_bytes()),
    ]);
    drop((parameters, module));
    // Checked: a file error, as for a template. Referenced: unresolved.
    let (code, found, stderr) = timed(dir.path(), ".", &["arm", "bicep/main.bicep"], "50 MB files");
    assert_eq!((code, stderr.as_str()), (1, ""));
    insta::assert_snapshot!(found, @r"
    arm/azuredeploy.parameters.json:1:1 file-error error file is too large to analyze (52429007 bytes; the limit is 16777216 bytes, set with --max-file-size or max-file-size in mtlsguard.toml)
    bicep/main.bicep:1:12 unresolved-reference info 'big.bicep': too large to analyze (52429085 bytes; the limit is 16777216); the values it would supply are unknown
    ");
}

/// A `bicepconfig.json` that is not JSON where a referenced template lives: a warning,
/// and its registry modules are not followed. Where the checked files live it is an
/// invalid configuration (see `cli_config.rs`): nothing is checked.
#[test]
fn a_bicepconfig_that_is_not_json() {
    let wrapper = "param publicNetworkAccess string
module site 'br/corp:web/site:v1' = {
  name: 'site'
  params: {
    publicNetworkAccess: publicNetworkAccess
  }
}
";
    let main = "module wrapped '../lib/wrapper.bicep' = {
  name: 'wrapped'
  params: {
    publicNetworkAccess: 'Disabled'
  }
}
";
    let dir = tree(&[
        ("app/main.bicep", main.as_bytes()),
        ("lib/wrapper.bicep", wrapper.as_bytes()),
        ("lib/bicepconfig.json", b"{ not json"),
    ]);
    let (code, found, stderr) = timed(dir.path(), "app", &[], "broken bicepconfig");
    assert_eq!((code, found.as_str()), (0, ""));
    insta::assert_snapshot!(stderr, @r"
    warning: [TMP]/lib/bicepconfig.json: bicepconfig.json is not valid JSON: line 1: unexpected `{ not json`; registry modules below it are not followed
    ");
    // Checking the wrapper itself: the config is its own, and broken.
    let r = run_in(dir.path(), "lib", &["check"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(r.stdout, "");
    assert!(
        r.stderr.starts_with("error: invalid configuration: ")
            && r.stderr.contains("bicepconfig.json:1:3: invalid JSON"),
        "{}",
        r.stderr
    );
}

#[test]
fn paths_outside_the_workspace_are_read_safely() {
    let main = [
        call("passwd", "/etc/passwd"),
        call("up", "../../../../x.bicep"),
        call("folder", "/etc"),
        call("device", "/dev/zero"),
        call("empty", ""),
        call("interpolated", "${x}.bicep"),
    ]
    .concat();
    let dir = tree(&[("w/main.bicep", main.as_bytes())]);
    let (code, found, stderr) = timed(dir.path(), "w", &[], "outside paths");
    assert_eq!((code, stderr.as_str()), (0, ""), "{found}");
    insta::assert_snapshot!(found, @r"
    main.bicep:1:15 unresolved-reference info '/etc/passwd' is not a template that can be read; the values it would supply are unknown
    main.bicep:4:11 unresolved-reference info '../../../../x.bicep': file not found; the values it would supply are unknown
    main.bicep:7:15 unresolved-reference info '/etc': not a file; the values it would supply are unknown
    main.bicep:10:15 unresolved-reference info '/dev/zero': not a file; the values it would supply are unknown
    main.bicep:13:14 unresolved-reference info the module path is empty; the values it would supply are unknown
    ");
}
