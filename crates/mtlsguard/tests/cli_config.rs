//! End-to-end tests of `check`'s configuration layers: `bicepconfig.json` below
//! `mtlsguard.toml`, and `max-file-size` written as a size.

mod common;

use common::{ACR_BICEP, normalize, run, write_files};

const BICEPCONFIG: &str = r#"{
  // Bicep's own linter settings are not ours to read.
  "analyzers": {
    "core": { "rules": { "no-unused-params": { "level": "off" } } },
    /* mtlsguard's levels, as Bicep users set analyzer levels */
    "mtlsguard": {
      "rules": {
        "acr-token-client-cert": { "level": "error" }, // trailing comma, as Bicep allows
      }
    }
  }
}
"#;

#[test]
fn bicepconfig_levels_apply_below_mtlsguard_toml() {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            ("bicepconfig.json", BICEPCONFIG.as_bytes()),
            ("acr.bicep", ACR_BICEP.as_bytes()),
            ("infra/deeper/acr.bicep", ACR_BICEP.as_bytes()),
            (
                "team/mtlsguard.toml",
                b"[rules]\nacr-token-client-cert = \"info\"\n",
            ),
            ("team/acr.bicep", ACR_BICEP.as_bytes()),
        ],
    );
    let r = run(dir.path(), &["check", "--output-format", "github"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(r.stdout.matches("::error file=acr.bicep").count(), 2);
    assert_eq!(
        r.stdout
            .matches("::error file=infra/deeper/acr.bicep")
            .count(),
        2,
        "found searching upwards"
    );
    assert_eq!(
        r.stdout.matches("::notice file=team/acr.bicep").count(),
        2,
        "mtlsguard.toml wins:\n{}",
        r.stdout
    );
}

#[test]
fn invalid_bicepconfig_names_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            ("a/bicepconfig.json", b"{\n  \"analyzers\": {\n    \"mtlsguard\": { \"rules\": { \"acr-token\": { \"level\": \"error\" } } }\n  }\n}\n"),
            ("a/acr.bicep", ACR_BICEP.as_bytes()),
            ("b/bicepconfig.json", b"{\n  \"analyzers\": {\n    \"mtlsguard\": { \"rules\": { \"acr-token-client-cert\": { \"level\": \"loud\" } } }\n  }\n}\n"),
            ("b/acr.bicep", ACR_BICEP.as_bytes()),
            ("c/bicepconfig.json", b"{\n  \"analyzers\": {\n    // a comment\n    \"core\": { \"enabled\": true }\n    \"mtlsguard\": {}\n  }\n}\n"),
            ("c/acr.bicep", ACR_BICEP.as_bytes()),
        ],
    );
    let mut all = String::new();
    for sub in ["a", "b", "c"] {
        let r = run(dir.path(), &["check", sub]);
        assert_eq!(r.code, 2, "{sub}: {}", r.stderr);
        assert_eq!(r.stdout, "", "nothing is checked with a broken config");
        all.push_str(&normalize(&r.stderr, dir.path()));
    }
    insta::assert_snapshot!("invalid_bicepconfig", all);
}

#[test]
fn max_file_size_takes_a_size_in_the_config() {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            ("mtlsguard.toml", b"max-file-size = \"2KiB\"\n"),
            ("big.bicep", format!("// {}\n", "a".repeat(3000)).as_bytes()),
        ],
    );
    let r = run(dir.path(), &["check", "--output-format", "github"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stdout.contains("the limit is 2048 bytes"), "{}", r.stdout);
    std::fs::write(
        dir.path().join("mtlsguard.toml"),
        "max-file-size = \"2 KB or so\"\n",
    )
    .unwrap();
    let bad = run(dir.path(), &["check"]);
    assert_eq!(bad.code, 2);
    assert_eq!(
        normalize(&bad.stderr, dir.path()),
        "error: invalid configuration: [TMP]/mtlsguard.toml:1:17: key `max-file-size`: `2 KB or so` is not a size (e.g. 1048576, 512KiB, 16MiB)\n"
    );
}
