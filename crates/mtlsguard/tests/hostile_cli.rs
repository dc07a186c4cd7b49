//! Hostile input through the real binary: huge files, deep nesting, bytes that are not
//! text. The process must answer (exit 0/1, never a crash or a signal) with its output
//! well-formed. See docs/hardening.md.

mod common;

use common::{run, write_files};

const SCHEMA: &str =
    "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#";

#[test]
fn fifty_megabyte_file_is_a_clear_file_error() {
    let dir = tempfile::tempdir().unwrap();
    let big = format!(
        "{{\"$schema\": \"{SCHEMA}\", \"x\": \"{}\"}}",
        "a".repeat(50 * 1024 * 1024)
    );
    let bicep = format!("// {}\n", "b".repeat(50 * 1024 * 1024));
    write_files(
        dir.path(),
        &[
            ("big.json", big.as_bytes()),
            ("big.bicep", bicep.as_bytes()),
        ],
    );
    drop((big, bicep));
    let r = run(dir.path(), &["check", "--output-format", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let findings: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let findings = findings.as_array().unwrap();
    assert_eq!(findings.len(), 2, "{}", r.stdout);
    for f in findings {
        assert_eq!(f["rule"], "file-error");
        assert!(f["message"].as_str().unwrap().contains("too large"), "{f}");
    }
}

#[test]
fn deep_nesting_in_both_languages_through_every_output_format() {
    const DEPTH: usize = 100_000;
    let dir = tempfile::tempdir().unwrap();
    let bicep_closed = format!("var x = {}1{}\n", "{ a: ".repeat(DEPTH), " }".repeat(DEPTH));
    let bicep_open = format!("var x = {}\n", "[".repeat(DEPTH));
    let json_closed = format!(
        "{{\"$schema\": \"{SCHEMA}\", \"x\": {}1{}}}",
        "[".repeat(DEPTH),
        "]".repeat(DEPTH)
    );
    let json_open = format!(
        "{{\"$schema\": \"{SCHEMA}\", \"x\": {}",
        "{\"a\": ".repeat(DEPTH)
    );
    write_files(
        dir.path(),
        &[
            ("closed.bicep", bicep_closed.as_bytes()),
            ("open.bicep", bicep_open.as_bytes()),
            ("closed.json", json_closed.as_bytes()),
            ("open.json", json_open.as_bytes()),
            ("nul.bicep", b"var a = 1\0\0\nresource\0"),
            ("invalid.bicep", b"var a = '\xC3\x28'\n"),
            (
                "lone-cr.json",
                format!("{{\r\"$schema\": \"{SCHEMA}\"\r}}").as_bytes(),
            ),
        ],
    );
    for format in ["text", "json", "sarif", "github"] {
        let r = run(dir.path(), &["check", "--output-format", format]);
        assert!(
            r.code == 0 || r.code == 1,
            "{format}: {} {}",
            r.code,
            r.stderr
        );
        if format != "text" && format != "github" {
            serde_json::from_str::<serde_json::Value>(&r.stdout).expect("well-formed output");
        }
    }
    let r = run(dir.path(), &["check", "--fix"]);
    assert!(r.code == 0 || r.code == 1, "{} {}", r.code, r.stderr);
}

/// A full disk: `--fix` cannot write, says so, and leaves the file and the folder exactly
/// as they were. A small tmpfs makes the disk full for real, which needs root (as in CI);
/// elsewhere the test is skipped with a notice.
#[cfg(target_os = "linux")]
#[test]
fn fix_on_a_full_disk_leaves_the_file_intact() {
    use std::fs;
    use std::io::Write;
    use std::process::{Command, Stdio};

    struct Unmount(std::path::PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(&self.0).status();
        }
    }

    let dir = tempfile::tempdir().unwrap();
    let disk = dir.path().join("disk");
    fs::create_dir(&disk).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=256k", "mtlsguard-full-disk"])
        .arg(&disk)
        .stderr(Stdio::null())
        .status();
    if !matches!(mounted, Ok(s) if s.success()) {
        println!("NOTICE: cannot mount a tmpfs (needs root); the full-disk test is skipped");
        return;
    }
    let _unmount = Unmount(disk.clone());

    let original = fs::read(common::workspace().join("examples/bicep/app-service.bicep")).unwrap();
    fs::write(disk.join("app.bicep"), &original).unwrap();
    let mut filler = fs::File::create(disk.join("filler")).unwrap();
    let page = [0u8; 4096];
    let full = loop {
        if let Err(e) = filler.write_all(&page) {
            break e;
        }
    };
    assert_eq!(full.raw_os_error(), Some(28), "{full}"); // ENOSPC
    drop(filler);

    let r = run(&disk, &["check", "--fix", "app.bicep"]);
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains(
            "cannot write the fixes to app.bicep: No space left on device; the file is unchanged"
        ),
        "{}",
        r.stderr
    );
    // The findings are still reported, as they are in the unchanged file.
    assert!(r.stdout.contains("app-service-client-cert"), "{}", r.stdout);
    assert_eq!(fs::read(disk.join("app.bicep")).unwrap(), original);
    let mut names: Vec<_> = fs::read_dir(&disk)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["app.bicep", "filler"], "no temporary file is left");
}
