use super::*;

fn br(registry: Option<&str>, module_path: Option<&str>) -> BrAlias {
    BrAlias {
        registry: registry.map(str::to_owned),
        module_path: module_path.map(str::to_owned),
    }
}

fn ts(subscription: Option<&str>, resource_group: Option<&str>) -> TsAlias {
    TsAlias {
        subscription: subscription.map(str::to_owned),
        resource_group: resource_group.map(str::to_owned),
    }
}

#[test]
fn reads_aliases_and_cache_root_through_comments_and_trailing_commas() {
    let text = r#"{
  // Bicep allows comments,
  "moduleAliases": {
    "br": {
      "core": { "registry": "contoso.azurecr.io", "modulePath": "bicep/modules", },
      /* block comments too */
      "plain": { "registry": "fabrikam.azurecr.io" },
    },
    "ts": {
      "shared": { "subscription": "00000000-0000-0000-0000-000000000001", "resourceGroup": "rg-specs" },
    },
  },
  "cacheRootDirectory": "D:\\bicep\\cache",
  "analyzers": { "core": { "enabled": true } },
}"#;
    let config = parse_bicepconfig(text).unwrap();
    assert_eq!(
        config.aliases_br,
        vec![
            (
                "core".to_owned(),
                br(Some("contoso.azurecr.io"), Some("bicep/modules"))
            ),
            ("plain".to_owned(), br(Some("fabrikam.azurecr.io"), None)),
        ]
    );
    assert_eq!(
        config.aliases_ts,
        vec![(
            "shared".to_owned(),
            ts(
                Some("00000000-0000-0000-0000-000000000001"),
                Some("rg-specs")
            )
        )]
    );
    assert_eq!(config.cache_root.as_deref(), Some("D:/bicep/cache"));
}

#[test]
fn a_config_without_the_sections_is_empty() {
    let config = parse_bicepconfig(r#"{ "analyzers": {} }"#).unwrap();
    assert_eq!(config, BicepConfig::default());
    let config = parse_bicepconfig(r#"{ "moduleAliases": { "br": {} } }"#).unwrap();
    assert_eq!(config, BicepConfig::default());
}

#[test]
fn null_counts_as_absent() {
    let text = r#"{
      "moduleAliases": { "br": { "x": { "registry": null, "modulePath": "m" }, "y": null }, "ts": null },
      "cacheRootDirectory": null
    }"#;
    let config = parse_bicepconfig(text).unwrap();
    assert_eq!(
        config.aliases_br,
        vec![("x".to_owned(), br(None, Some("m")))]
    );
    assert!(config.aliases_ts.is_empty());
    assert_eq!(config.cache_root, None);
}

#[test]
fn a_blank_cache_root_is_the_default() {
    let config = parse_bicepconfig(r#"{ "cacheRootDirectory": "  " }"#).unwrap();
    assert_eq!(config.cache_root, None);
}

#[test]
fn repeated_keys_last_wins_and_an_alias_keeps_its_first_place() {
    let text = r#"{
      "moduleAliases": { "br": {
        "a": { "registry": "one.io", "registry": "two.io" },
        "b": { "registry": "b.io" },
        "a": { "registry": "three.io" }
      } }
    }"#;
    let config = parse_bicepconfig(text).unwrap();
    assert_eq!(
        config.aliases_br,
        vec![
            ("a".to_owned(), br(Some("three.io"), None)),
            ("b".to_owned(), br(Some("b.io"), None)),
        ]
    );
}

#[test]
fn keys_match_exactly() {
    let text = r#"{ "ModuleAliases": { "br": { "a": { "registry": "x.io" } } },
                   "moduleAliases": { "br": { "b": { "Registry": "y.io" } } } }"#;
    let config = parse_bicepconfig(text).unwrap();
    assert_eq!(config.aliases_br, vec![("b".to_owned(), br(None, None))]);
}

#[test]
fn escapes_in_strings_are_decoded() {
    let text = r#"{ "moduleAliases": { "br": { "\u0061": { "registry": "r\u002eio" } } } }"#;
    let config = parse_bicepconfig(text).unwrap();
    assert_eq!(
        config.aliases_br,
        vec![("a".to_owned(), br(Some("r.io"), None))]
    );
}

#[test]
fn bad_json_names_the_line() {
    let text = "{\n  \"moduleAliases\": {\n    \"br\": { \"a\": { \"registry\": } }\n  }\n}";
    let err = parse_bicepconfig(text).unwrap_err();
    assert!(
        err.starts_with("bicepconfig.json is not valid JSON: line 3"),
        "{err}"
    );
}

#[test]
fn unclosed_object_is_an_error() {
    let err = parse_bicepconfig("{\n  \"moduleAliases\": {\n").unwrap_err();
    assert!(
        err.starts_with("bicepconfig.json is not valid JSON: line "),
        "{err}"
    );
}

#[test]
fn empty_or_non_object_files_are_errors() {
    assert_eq!(
        parse_bicepconfig("  // nothing\n").unwrap_err(),
        "bicepconfig.json is empty: expected a JSON object"
    );
    assert_eq!(
        parse_bicepconfig("\n[1, 2]").unwrap_err(),
        "bicepconfig.json line 2: expected a JSON object, found an array"
    );
}

#[test]
fn wrong_types_name_the_key_and_line() {
    let cases = [
        (
            r#"{ "moduleAliases": [] }"#,
            "bicepconfig.json line 1: moduleAliases is not an object (found an array)",
        ),
        (
            "{ \"moduleAliases\": {\n \"br\": \"x\" } }",
            "bicepconfig.json line 2: moduleAliases.br is not an object (found a string)",
        ),
        (
            "{ \"moduleAliases\": { \"br\": {\n \"foo\": 1 } } }",
            "bicepconfig.json line 2: moduleAliases.br.foo is not an object (found a number)",
        ),
        (
            "{ \"moduleAliases\": { \"br\": { \"foo\": {\n\n \"registry\": 42 } } } }",
            "bicepconfig.json line 3: moduleAliases.br.foo.registry is not a string (found a number)",
        ),
        (
            r#"{ "moduleAliases": { "br": { "foo": { "modulePath": true } } } }"#,
            "bicepconfig.json line 1: moduleAliases.br.foo.modulePath is not a string (found a boolean)",
        ),
        (
            r#"{ "moduleAliases": { "ts": { "t": { "subscription": {} } } } }"#,
            "bicepconfig.json line 1: moduleAliases.ts.t.subscription is not a string (found an object)",
        ),
        (
            r#"{ "moduleAliases": { "ts": { "t": { "resourceGroup": [] } } } }"#,
            "bicepconfig.json line 1: moduleAliases.ts.t.resourceGroup is not a string (found an array)",
        ),
        (
            r#"{ "cacheRootDirectory": 7 }"#,
            "bicepconfig.json line 1: cacheRootDirectory is not a string (found a number)",
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(parse_bicepconfig(text).unwrap_err(), expected, "{text}");
    }
}

#[test]
fn a_malformed_escape_is_an_error() {
    let err = parse_bicepconfig(r#"{ "cacheRootDirectory": "\uZZZZ" }"#).unwrap_err();
    assert!(err.contains("cacheRootDirectory"), "{err}");
}

#[test]
fn anchoring_the_cache_root() {
    let with = |root: Option<&str>| BicepConfig {
        cache_root: root.map(str::to_owned),
        ..BicepConfig::default()
    };
    let anchored = |root| {
        with(root)
            .anchored("/work/repo/infra", "/home/me")
            .cache_root
    };
    assert_eq!(anchored(None), None);
    assert_eq!(anchored(Some("~")).as_deref(), Some("/home/me"));
    assert_eq!(
        anchored(Some("~/caches/bicep")).as_deref(),
        Some("/home/me/caches/bicep")
    );
    assert_eq!(
        anchored(Some("../.cache/bicep")).as_deref(),
        Some("/work/repo/.cache/bicep")
    );
    assert_eq!(
        anchored(Some("/var/cache//bicep/")).as_deref(),
        Some("/var/cache/bicep")
    );
    assert_eq!(
        anchored(Some("C:/bicep/cache")).as_deref(),
        Some("C:/bicep/cache")
    );
    // Bicep expands only `~` and `~/`; `~user` is a folder name like any other.
    assert_eq!(
        anchored(Some("~user/x")).as_deref(),
        Some("/work/repo/infra/~user/x")
    );
}

#[test]
fn parse_then_anchor_reads_windows_separators() {
    let config = parse_bicepconfig(r#"{ "cacheRootDirectory": "..\\cache" }"#)
        .unwrap()
        .anchored("infra", "/home/me");
    assert_eq!(config.cache_root.as_deref(), Some("cache"));
}
