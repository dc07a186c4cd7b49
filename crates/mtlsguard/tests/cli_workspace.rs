//! End-to-end tests of `mtlsguard check` across files (spec section 8): the real binary
//! on temporary trees of callers and called templates, every reference kind, outputs,
//! fixes and statistics. Each test's `HOME` is its own, so the real `~/.bicep` module
//! cache is never read (and nothing is ever downloaded).

mod common;

use std::fs;

use common::normalize;
use common::workspace::{ARM_SITE, MAIN_BICEP, SITE_BICEP, check_json, run_in, tree};
use serde_json::Value;

/// `main.bicep` calling `modules/site.bicep` as an internal site.
fn local_module() -> tempfile::TempDir {
    tree(&[
        ("main.bicep", MAIN_BICEP.as_bytes()),
        ("modules/site.bicep", SITE_BICEP.as_bytes()),
    ])
}

#[test]
fn local_module_text_output() {
    let dir = local_module();
    let r = run_in(dir.path(), ".", &["check"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(r.stderr, "");
    insta::assert_snapshot!("local_module_text", r.stdout);
}

#[test]
fn local_module_json_output() {
    let dir = local_module();
    let r = run_in(dir.path(), ".", &["check", "--output-format", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let related: Vec<&str> = v[0]["related"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|rel| rel["path"].as_str())
        .collect();
    assert_eq!(related, ["modules/site.bicep", "modules/site.bicep"]);
    insta::assert_snapshot!("local_module_json", r.stdout);
}

/// Alone, the module's defaults describe an external site: nothing to report.
#[test]
fn the_module_alone_is_checked_on_its_defaults() {
    let dir = local_module();
    let r = run_in(dir.path(), ".", &["check", "modules"]);
    assert_eq!(
        (r.code, r.stdout.as_str(), r.stderr.as_str()),
        (0, "No problems found in 1 file.\n", "")
    );
}

#[test]
fn fix_inserts_the_param_into_the_callers_call() {
    let dir = local_module();
    let r = run_in(dir.path(), ".", &["check", "--fix"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(
        fs::read_to_string(dir.path().join("main.bicep")).unwrap(),
        "\
module site 'modules/site.bicep' = {
  name: 'site'
  params: {
    publicNetworkAccess: 'Disabled'
    clientCertMode: 'Required'
  }
}
"
    );
    // The default stays: other callers may rely on it.
    assert_eq!(
        fs::read_to_string(dir.path().join("modules/site.bicep")).unwrap(),
        SITE_BICEP
    );
    let again = run_in(dir.path(), ".", &["check"]);
    assert_eq!(
        (again.code, again.stdout.as_str()),
        (0, "No problems found in 2 files.\n")
    );
}

#[test]
fn diff_shows_the_callers_change_and_writes_nothing() {
    let dir = local_module();
    let r = run_in(dir.path(), ".", &["check", "--diff"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "\
--- a/main.bicep
+++ b/main.bicep
@@ -2,5 +2,6 @@
   name: 'site'
   params: {
     publicNetworkAccess: 'Disabled'
+    clientCertMode: 'Required'
   }
 }
"
    );
    assert_eq!(r.stderr, "Would fix 1 problem in 1 file.\n");
    for (path, text) in [
        ("main.bicep", MAIN_BICEP),
        ("modules/site.bicep", SITE_BICEP),
    ] {
        assert_eq!(fs::read_to_string(dir.path().join(path)).unwrap(), text);
    }
}

#[test]
fn statistics_count_the_checks_made_through_the_call() {
    let dir = local_module();
    let r = run_in(dir.path(), ".", &["check", "--statistics"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let app = r
        .stderr
        .lines()
        .chain(r.stdout.lines())
        .find(|l| l.starts_with("app-service-client-cert "))
        .unwrap_or_else(|| panic!("no statistics line: {}\n{}", r.stdout, r.stderr));
    let counts: Vec<&str> = app.split_whitespace().skip(1).collect();
    // seen, out of scope, decided, undecided: the site, made internal by the call.
    assert_eq!(counts, ["1", "0", "1", "0"], "{app}");
    // Alone, the same site is external: seen and out of scope.
    let alone = run_in(dir.path(), ".", &["check", "--statistics", "modules"]);
    let app = alone
        .stderr
        .lines()
        .chain(alone.stdout.lines())
        .find(|l| l.starts_with("app-service-client-cert "))
        .unwrap();
    let counts: Vec<&str> = app.split_whitespace().skip(1).collect();
    assert_eq!(counts, ["1", "1", "0", "0"], "{app}");
}

#[test]
fn bicepparam_sets_the_templates_params() {
    let dir = tree(&[
        ("site.bicep", SITE_BICEP.as_bytes()),
        (
            "site.bicepparam",
            b"using './site.bicep'\n\nparam publicNetworkAccess = 'Disabled'\n",
        ),
    ]);
    let (code, found, stderr) = check_json(dir.path(), ".", &[]);
    assert_eq!((code, stderr.as_str()), (1, ""));
    insta::assert_snapshot!(found, @r"
    site.bicepparam:1:1 app-service-client-cert warning clientCertMode is 'Optional' (param clientCertMode, site.bicep line 2): set it to 'Required' to require client certificates (in site.bicep, when called from site.bicepparam:1)
      -> site.bicep:2:31 the value of clientCertMode comes from param clientCertMode
      -> 3:1 param publicNetworkAccess puts the resource in scope
      -> site.bicep:9:5 the resource in site.bicep that gets the value
    ");
    let r = run_in(dir.path(), ".", &["check", "--fix"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(
        fs::read_to_string(dir.path().join("site.bicepparam")).unwrap(),
        "using './site.bicep'\n\nparam publicNetworkAccess = 'Disabled'\nparam clientCertMode = 'Required'\n"
    );
    assert_eq!(check_json(dir.path(), ".", &[]).1, "");
}

const ARM_PARAMETERS: &str = r#"{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
  "contentVersion": "1.0.0.0",
  "parameters": {
    "publicNetworkAccess": { "value": "Disabled" },
    "clientCertMode": { "value": "Optional" }
  }
}
"#;

#[test]
fn arm_parameters_file_belongs_to_its_template_by_name() {
    let dir = tree(&[
        ("azuredeploy.json", ARM_SITE.as_bytes()),
        ("azuredeploy.parameters.json", ARM_PARAMETERS.as_bytes()),
    ]);
    let (code, found, stderr) = check_json(dir.path(), ".", &[]);
    assert_eq!((code, stderr.as_str()), (1, ""), "{found}");
    insta::assert_snapshot!(found, @r"
    azuredeploy.parameters.json:6:5 app-service-client-cert warning clientCertMode is 'Optional' (parameter clientCertMode, line 6): set it to 'Required' to require client certificates (in azuredeploy.json, when called from azuredeploy.parameters.json:4)
      -> 6:34 clientCertMode is set to 'Optional' here
      -> 6:5 the value of clientCertMode comes from parameter clientCertMode
      -> 5:5 parameter publicNetworkAccess puts the resource in scope
      -> azuredeploy.json:16:9 the resource in azuredeploy.json that gets the value
    ");
    // Checked alone, the parameters file still reads its template.
    let (code, alone, stderr) = check_json(dir.path(), ".", &["azuredeploy.parameters.json"]);
    assert_eq!(
        (code, stderr.as_str(), alone.as_str()),
        (1, "", found.as_str())
    );
    // The template alone: its defaults are compliant.
    let (code, alone, _) = check_json(dir.path(), ".", &["azuredeploy.json"]);
    assert_eq!((code, alone.as_str()), (0, ""));
}

#[test]
fn arm_linked_deployment_passes_its_parameters() {
    let main = r#"{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "resources": [
    {
      "type": "Microsoft.Resources/deployments",
      "apiVersion": "2022-09-01",
      "name": "site",
      "properties": {
        "mode": "Incremental",
        "templateLink": { "relativePath": "nested/site.json" },
        "parameters": {
          "publicNetworkAccess": { "value": "Disabled" },
          "clientCertMode": { "value": "Optional" }
        }
      }
    }
  ]
}
"#;
    let dir = tree(&[
        ("main.json", main.as_bytes()),
        ("nested/site.json", ARM_SITE.as_bytes()),
    ]);
    let (code, found, stderr) = check_json(dir.path(), ".", &[]);
    assert_eq!((code, stderr.as_str()), (1, ""), "{found}");
    insta::assert_snapshot!(found, @r"
    main.json:14:11 app-service-client-cert warning clientCertMode is 'Optional' (parameter clientCertMode, line 14): set it to 'Required' to require client certificates (in site.json, when called from main.json:11)
      -> 14:40 clientCertMode is set to 'Optional' here
      -> 14:11 the value of clientCertMode comes from parameter clientCertMode
      -> 13:11 parameter publicNetworkAccess puts the resource in scope
      -> nested/site.json:16:9 the resource in site.json that gets the value
    ");
}

/// The Bicep module cache's path of a registry module (`<registry>/<repository with '/'
/// as '$'>/<tag>$/main.json`).
const AVM_SITE: &str = "home/.bicep/br/mcr.microsoft.com/bicep$avm$res$web$site/0.3.0$/main.json";
const CORP_SITE: &str = "br/corp.azurecr.io/bicep$web$site/v1$/main.json";
const SUB: &str = "00000000-0000-0000-0000-000000000000";

/// A `module` statement passing the values that make [`ARM_SITE`] non-compliant.
fn internal_call(name: &str, path: &str) -> String {
    format!(
        "module {name} '{path}' = {{\n  name: '{name}'\n  params: {{\n    publicNetworkAccess: 'Disabled'\n    clientCertMode: 'Optional'\n  }}\n}}\n"
    )
}

#[test]
fn registry_modules_and_template_specs_come_from_the_cache() {
    let main = [
        internal_call("avm", "br/public:avm/res/web/site:0.3.0"),
        internal_call("corp", "br/corp:web/site:v1"),
        internal_call("spec", &format!("ts:{SUB}/rg/site:1.0")),
        "module missing 'br/public:avm/res/web/missing:0.1.0' = {\n  name: 'missing'\n}\n".into(),
    ]
    .concat();
    let spec = format!(r#"{{ "id": "x", "properties": {{ "mainTemplate": {ARM_SITE} }} }}"#);
    let config = r#"{
  // Bicep's config allows comments.
  "moduleAliases": { "br": { "corp": { "registry": "corp.azurecr.io", "modulePath": "bicep" } } }
}"#;
    let dir = tree(&[
        ("w/main.bicep", main.as_bytes()),
        ("w/bicepconfig.json", config.as_bytes()),
        (AVM_SITE, ARM_SITE.as_bytes()),
        (&format!("home/.bicep/{CORP_SITE}"), ARM_SITE.as_bytes()),
        (
            &format!("home/.bicep/ts/{SUB}/rg/site/1.0/main.json"),
            spec.as_bytes(),
        ),
    ]);
    let (code, found, stderr) = check_json(dir.path(), "w", &[]);
    assert_eq!((code, stderr.as_str()), (1, ""), "{found}");
    insta::assert_snapshot!(found, @r"
    main.bicep:5:5 app-service-client-cert warning clientCertMode is 'Optional' (parameter clientCertMode, line 5): set it to 'Required' to require client certificates (in main.json, when called from main.bicep:1)
      -> 5:21 clientCertMode is set to 'Optional' here
      -> 5:5 the value of clientCertMode comes from parameter clientCertMode
      -> 4:5 parameter publicNetworkAccess puts the resource in scope
      -> [TMP]/home/.bicep/br/mcr.microsoft.com/bicep$avm$res$web$site/0.3.0$/main.json:16:9 the resource in main.json that gets the value
    main.bicep:12:5 app-service-client-cert warning clientCertMode is 'Optional' (parameter clientCertMode, line 12): set it to 'Required' to require client certificates (in main.json, when called from main.bicep:8)
      -> 12:21 clientCertMode is set to 'Optional' here
      -> 12:5 the value of clientCertMode comes from parameter clientCertMode
      -> 11:5 parameter publicNetworkAccess puts the resource in scope
      -> [TMP]/home/.bicep/br/corp.azurecr.io/bicep$web$site/v1$/main.json:16:9 the resource in main.json that gets the value
    main.bicep:19:5 app-service-client-cert warning clientCertMode is 'Optional' (parameter clientCertMode, line 19): set it to 'Required' to require client certificates (in main.json, when called from main.bicep:15)
      -> 19:21 clientCertMode is set to 'Optional' here
      -> 19:5 the value of clientCertMode comes from parameter clientCertMode
      -> 18:5 parameter publicNetworkAccess puts the resource in scope
      -> [TMP]/home/.bicep/ts/00000000-0000-0000-0000-000000000000/rg/site/1.0/main.json:16:9 the resource in main.json that gets the value
    main.bicep:22:16 unresolved-reference info 'br/public:avm/res/web/missing:0.1.0': file not found in the Bicep module cache ([TMP]/home/.bicep/br/mcr.microsoft.com/bicep$avm$res$web$missing/0.1.0$/main.json); nothing is downloaded: run `bicep restore` to fill it; the values it would supply are unknown
    ");
}

#[test]
fn cache_root_directory_moves_the_cache() {
    let main = [
        internal_call("corp", "br/corp:web/site:v1"),
        internal_call("avm", "br/public:avm/res/web/site:0.3.0"),
    ]
    .concat();
    let config = r#"{
  "cacheRootDirectory": "../cache",
  "moduleAliases": { "br": { "corp": { "registry": "corp.azurecr.io", "modulePath": "bicep" } } }
}"#;
    // The moved cache holds the alias's module; the default one (no longer read) the
    // public module.
    let dir = tree(&[
        ("w/main.bicep", main.as_bytes()),
        ("w/bicepconfig.json", config.as_bytes()),
        (&format!("cache/{CORP_SITE}"), ARM_SITE.as_bytes()),
        (AVM_SITE, ARM_SITE.as_bytes()),
    ]);
    let (code, found, stderr) = check_json(dir.path(), "w", &[]);
    assert_eq!((code, stderr.as_str()), (1, ""), "{found}");
    insta::assert_snapshot!(found, @r"
    main.bicep:5:5 app-service-client-cert warning clientCertMode is 'Optional' (parameter clientCertMode, line 5): set it to 'Required' to require client certificates (in main.json, when called from main.bicep:1)
      -> 5:21 clientCertMode is set to 'Optional' here
      -> 5:5 the value of clientCertMode comes from parameter clientCertMode
      -> 4:5 parameter publicNetworkAccess puts the resource in scope
      -> [TMP]/cache/br/corp.azurecr.io/bicep$web$site/v1$/main.json:16:9 the resource in main.json that gets the value
    main.bicep:8:12 unresolved-reference info 'br/public:avm/res/web/site:0.3.0': file not found in the Bicep module cache ([TMP]/cache/br/mcr.microsoft.com/bicep$avm$res$web$site/0.3.0$/main.json); nothing is downloaded: run `bicep restore` to fill it; the values it would supply are unknown
    ");
}

/// `app/main.bicep` calling `../shared/site.bicep`, outside the path checked.
fn sibling_folder() -> tempfile::TempDir {
    tree(&[
        (
            "app/main.bicep",
            MAIN_BICEP
                .replace("modules/site.bicep", "../shared/site.bicep")
                .as_bytes(),
        ),
        ("shared/site.bicep", SITE_BICEP.as_bytes()),
    ])
}

#[test]
fn a_module_outside_the_checked_path_is_read() {
    let dir = sibling_folder();
    let (code, found, stderr) = check_json(dir.path(), ".", &["app"]);
    assert_eq!((code, stderr.as_str()), (1, ""), "{found}");
    insta::assert_snapshot!(found, @r"
    app/main.bicep:1:13 app-service-client-cert warning clientCertMode is 'Optional' (param clientCertMode, site.bicep line 2): set it to 'Required' to require client certificates (in site.bicep, when called from main.bicep:1)
      -> shared/site.bicep:2:31 the value of clientCertMode comes from param clientCertMode
      -> 4:5 param publicNetworkAccess puts the resource in scope
      -> shared/site.bicep:9:5 the resource in site.bicep that gets the value
    ");
}

/// SARIF's related locations in another file name that file's artifact, relative to
/// `SRCROOT` (no `..`), also when it lies outside the path checked or the current folder.
#[test]
fn sarif_related_locations_name_the_module_file() {
    for (dir, cwd, args, caller, module) in [
        (
            local_module(),
            ".",
            &[][..],
            "main.bicep",
            "modules/site.bicep",
        ),
        (
            sibling_folder(),
            ".",
            &["app"][..],
            "app/main.bicep",
            "shared/site.bicep",
        ),
        (
            sibling_folder(),
            "app",
            &[][..],
            "app/main.bicep",
            "shared/site.bicep",
        ),
    ] {
        let mut full = vec!["check", "--output-format", "sarif"];
        full.extend_from_slice(args);
        let r = run_in(dir.path(), cwd, &full);
        assert_eq!(r.code, 1, "{}", r.stderr);
        let v: Value = serde_json::from_str(&r.stdout).unwrap();
        let run = &v["runs"][0];
        let root = run["originalUriBaseIds"]["SRCROOT"]["uri"]
            .as_str()
            .unwrap();
        let result = &run["results"][0];
        let uri = |loc: &Value| {
            let a = &loc["physicalLocation"]["artifactLocation"];
            assert_eq!(a["uriBaseId"], "SRCROOT", "{a:#}");
            let uri = a["uri"].as_str().unwrap();
            assert!(
                !uri.starts_with('/') && !uri.contains(':') && !uri.split('/').any(|s| s == ".."),
                "{uri}"
            );
            uri.to_owned()
        };
        let mut uris = vec![uri(&result["locations"][0])];
        uris.extend(
            result["relatedLocations"]
                .as_array()
                .unwrap()
                .iter()
                .map(uri),
        );
        let uris: Vec<&str> = uris.iter().map(String::as_str).collect();
        assert_eq!(
            (normalize(root, dir.path()).as_str(), uris),
            ("file://[TMP]/", vec![caller, module, caller, module]),
            "check {args:?} in {cwd}"
        );
    }
}
