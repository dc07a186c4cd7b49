//! End-to-end tests of the paths in `check --output-format sarif`: however a file is
//! named (`..`, absolute, odd characters), its URI is relative to `SRCROOT`, has no `..`,
//! is percent-encoded, and `SRCROOT` is an absolute `file:` folder holding every result
//! (the git root when it holds them all). The official validator flags `..` in a file URI
//! as an error (SARIF1002) and absolute ones as a note (SARIF2016).

mod common;

use std::path::Path;

use common::{normalize, run, write_files};
use serde_json::Value;

/// A finding decided through a param: a related location and an (unsafe) fix, so every
/// kind of artifact location appears.
const APP_BICEP: &str = "\
param mode string = 'Optional'

resource internalApi 'Microsoft.Web/sites@2022-03-01' = {
  name: 'internal-api'
  properties: {
    publicNetworkAccess: 'Disabled'
    clientCertEnabled: true
    clientCertMode: mode
  }
}
";

/// Runs `check --output-format sarif <args>` in `cwd` and returns `SRCROOT` and each
/// result's locations (`uri` of the result, then its related locations' and fixes'), one
/// line each, after checking what holds for every SARIF run.
fn sarif_paths(cwd: &Path, args: &[&str], tmp: &Path) -> String {
    let mut full = vec!["check", "--output-format", "sarif"];
    full.extend_from_slice(args);
    let r = run(cwd, &full);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let run = &v["runs"][0];
    for rule in run["tool"]["driver"]["rules"].as_array().unwrap() {
        assert!(rule["helpUri"].is_string(), "no helpUri: {rule:#}");
    }
    let root = run["originalUriBaseIds"]["SRCROOT"]["uri"]
        .as_str()
        .unwrap();
    assert!(
        root.starts_with("file:///") && root.ends_with('/'),
        "{root}"
    );
    let mut out = format!("SRCROOT {}\n", normalize(root, tmp));
    for result in run["results"].as_array().unwrap() {
        let mut locations = vec![&result["locations"][0]["physicalLocation"]["artifactLocation"]];
        for rel in result["relatedLocations"].as_array().into_iter().flatten() {
            locations.push(&rel["physicalLocation"]["artifactLocation"]);
        }
        for fix in result["fixes"].as_array().into_iter().flatten() {
            locations.push(&fix["artifactChanges"][0]["artifactLocation"]);
        }
        let uris: Vec<&str> = locations
            .iter()
            .map(|l| {
                assert_eq!(l["uriBaseId"], "SRCROOT", "{l:#}");
                let uri = l["uri"].as_str().unwrap();
                assert!(
                    !uri.contains(':')
                        && !uri.starts_with('/')
                        && !uri.split('/').any(|s| s == ".."),
                    "{uri}"
                );
                uri
            })
            .collect();
        out.push_str(&format!(
            "{} {}\n",
            result["ruleId"].as_str().unwrap(),
            uris.join(" ")
        ));
    }
    out
}

/// `repo/.git` (a folder, as `git init` makes; a worktree has a `.git` file), `repo/sub`
/// to run in, and the files given.
fn repo(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("repo/.git")).unwrap();
    std::fs::create_dir_all(dir.path().join("repo/sub")).unwrap();
    write_files(dir.path(), files);
    dir
}

#[test]
fn parent_path_inside_the_git_root() {
    let dir = repo(&[("repo/x/app.bicep", APP_BICEP.as_bytes())]);
    let out = sarif_paths(&dir.path().join("repo/sub"), &["../x"], dir.path());
    insta::assert_snapshot!(out, @r"
    SRCROOT file://[TMP]/repo/
    app-service-client-cert x/app.bicep x/app.bicep x/app.bicep
    ");
}

#[test]
fn parent_path_without_a_git_root() {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            ("x/app.bicep", APP_BICEP.as_bytes()),
            ("x/deeper/./more/app.bicep", APP_BICEP.as_bytes()),
        ],
    );
    std::fs::create_dir_all(dir.path().join("sub")).unwrap();
    let out = sarif_paths(
        &dir.path().join("sub"),
        &["../x/app.bicep", "../sub/../x/deeper/more/"],
        dir.path(),
    );
    insta::assert_snapshot!(out, @r"
    SRCROOT file://[TMP]/x/
    app-service-client-cert deeper/more/app.bicep deeper/more/app.bicep deeper/more/app.bicep
    app-service-client-cert app.bicep app.bicep app.bicep
    ");
}

#[test]
fn absolute_path_under_the_current_folder() {
    let dir = repo(&[("repo/sub/x/app.bicep", APP_BICEP.as_bytes())]);
    let cwd = dir.path().join("repo/sub");
    let abs = cwd.join("x/app.bicep");
    let out = sarif_paths(&cwd, &[abs.to_str().unwrap()], dir.path());
    insta::assert_snapshot!(out, @r"
    SRCROOT file://[TMP]/repo/
    app-service-client-cert sub/x/app.bicep sub/x/app.bicep sub/x/app.bicep
    ");
}

/// A file outside the git root: `SRCROOT` is the folder holding both.
#[test]
fn file_outside_the_git_root() {
    let dir = repo(&[
        ("repo/sub/app.bicep", APP_BICEP.as_bytes()),
        ("elsewhere/app.bicep", APP_BICEP.as_bytes()),
    ]);
    let cwd = dir.path().join("repo/sub");
    let out = sarif_paths(&cwd, &["app.bicep", "../../elsewhere"], dir.path());
    insta::assert_snapshot!(out, @r"
    SRCROOT file://[TMP]/
    app-service-client-cert elsewhere/app.bicep elsewhere/app.bicep elsewhere/app.bicep
    app-service-client-cert repo/sub/app.bicep repo/sub/app.bicep repo/sub/app.bicep
    ");
}

/// RFC 3986: a space, `#`, `%` and non-ASCII are percent-encoded (UTF-8), in the file's
/// URI and in `SRCROOT`'s.
#[test]
fn special_characters_are_percent_encoded() {
    let dir = repo(&[("repo/sub/my dir #1/100% é.bicep", APP_BICEP.as_bytes())]);
    std::fs::create_dir_all(dir.path().join("my root")).unwrap();
    let out = sarif_paths(&dir.path().join("repo/sub"), &["my dir #1"], dir.path());
    insta::assert_snapshot!(out, @r"
    SRCROOT file://[TMP]/repo/
    app-service-client-cert sub/my%20dir%20%231/100%25%20%C3%A9.bicep sub/my%20dir%20%231/100%25%20%C3%A9.bicep sub/my%20dir%20%231/100%25%20%C3%A9.bicep
    ");
    // Without a git root the encoded folder is `SRCROOT` itself.
    write_files(
        dir.path(),
        &[("my root/a#b/app.bicep", APP_BICEP.as_bytes())],
    );
    let out = sarif_paths(&dir.path().join("my root"), &["a#b"], dir.path());
    insta::assert_snapshot!(out, @r"
    SRCROOT file://[TMP]/my%20root/a%23b/
    app-service-client-cert app.bicep app.bicep app.bicep
    ");
}
