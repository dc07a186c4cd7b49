//! The misconfigurations of the shared corpus that only following values across files
//! shows (issue "Across files"), and the false positive it removes. Skipped with a notice
//! when `../shared/corpus` is absent (CI requires it).

mod common;

use std::path::PathBuf;

use common::{run_with, workspace};
use serde_json::Value;

fn corpus_dir() -> Option<PathBuf> {
    let dir = workspace().join("../shared/corpus");
    dir.is_dir().then_some(dir)
}

/// `(path, 1-based line, rule, message)` of every finding of `check <folder>` in the
/// corpus, with an empty module cache.
fn findings(folder: &str) -> Option<Vec<(String, u64, String, String)>> {
    let Some(corpus) = corpus_dir() else {
        println!("NOTICE: ../shared/corpus is absent; the cross-file corpus test is skipped");
        return None;
    };
    let home = tempfile::tempdir().unwrap();
    let home = home.path().to_str().unwrap();
    let out = run_with(
        &corpus,
        &["check", folder, "--output-format", "json", "-q"],
        &[("HOME", home)],
    );
    assert!(out.code <= 1, "{}", out.stderr);
    let found: Vec<Value> = serde_json::from_str(&out.stdout).expect("JSON output");
    Some(
        found
            .iter()
            .map(|f| {
                (
                    f["path"].as_str().unwrap().to_owned(),
                    f["range"]["start"]["line"].as_u64().unwrap(),
                    f["rule"].as_str().unwrap().to_owned(),
                    f["message"].as_str().unwrap().to_owned(),
                )
            })
            .collect(),
    )
}

fn has(found: &[(String, u64, String, String)], path_end: &str, rule: &str, text: &str) -> bool {
    found
        .iter()
        .any(|(p, _, r, m)| p.ends_with(path_end) && r == rule && m.contains(text))
}

#[test]
fn avm_web_site_from_its_waf_aligned_and_max_tests() {
    let Some(found) = findings("Azure+bicep-registry-modules/avm/res/web/site") else {
        return;
    };
    for test in [
        "waf-aligned",
        "webApp.max",
        "functionApp.max",
        "webAppLinux.max",
    ] {
        let file = format!("tests/e2e/{test}/main.test.bicep");
        assert!(
            has(
                &found,
                &file,
                "app-service-client-cert",
                "clientCertEnabled is false"
            ),
            "{test}: {found:#?}"
        );
        assert!(
            has(
                &found,
                &file,
                "app-service-client-cert",
                "clientCertMode is 'Optional'"
            ),
            "{test}: {found:#?}"
        );
    }
    // The module alone (its defaults, public access) has none.
    assert!(
        !found
            .iter()
            .any(|(p, _, r, _)| p.ends_with("web/site/main.bicep") && r.ends_with("client-cert")),
        "{found:#?}"
    );
}

#[test]
fn avm_container_app_from_its_waf_aligned_and_vnet_tests() {
    let Some(found) = findings("Azure+bicep-registry-modules/avm/res/app/container-app") else {
        return;
    };
    for test in ["waf-aligned", "vnet"] {
        let file = format!("tests/e2e/{test}/main.test.bicep");
        assert!(
            has(
                &found,
                &file,
                "container-apps-client-cert",
                "clientCertificateMode"
            ),
            "{test}: {found:#?}"
        );
    }
}

#[test]
fn resource_modules_web_site_from_its_common_tests() {
    let Some(found) = findings("Azure+ResourceModules/modules/web/site") else {
        return;
    };
    for test in ["webAppCommon", "functionAppCommon"] {
        let file = format!("tests/e2e/{test}/main.test.bicep");
        assert!(
            has(
                &found,
                &file,
                "app-service-client-cert",
                "clientCertMode is 'Optional'"
            ),
            "{test}: {found:#?}"
        );
    }
}

#[test]
fn modern_web_app_container_app_is_called_external() {
    let Some(found) = findings("Azure+modern-web-app-pattern-dotnet/infra") else {
        return;
    };
    // Its only caller passes `ingressExternal: true`: public, out of scope.
    assert!(
        !found.iter().any(
            |(p, _, r, _)| p.ends_with("core/hosting/container-app.bicep")
                && r == "container-apps-client-cert"
        ),
        "{found:#?}"
    );
}
