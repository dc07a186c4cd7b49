//! Helpers for the end-to-end suites that drive the built `mtlsguard` binary: Cargo builds
//! it before this package's integration tests and names it in `CARGO_BIN_EXE_mtlsguard`.
//! Each suite is its own crate and uses part of these helpers.
#![allow(dead_code)]

pub mod abuse;
pub mod lsp;
pub mod workspace;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The `mtlsguard` binary of this build.
pub fn mtlsguard_bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_mtlsguard"))
}

/// The workspace root (this package is `crates/mtlsguard`).
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/mtlsguard is two levels down")
        .to_path_buf()
}

/// The outcome of one run of the binary.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `mtlsguard <args>` in `dir` with colors off and no stdin.
pub fn run(dir: &Path, args: &[&str]) -> Run {
    run_with(dir, args, &[])
}

/// [`run`] with extra environment variables.
pub fn run_with(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(mtlsguard_bin());
    cmd.current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .env_remove("CLICOLOR_FORCE")
        .env_remove("FORCE_COLOR")
        .env_remove("NO_COLOR");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("mtlsguard runs");
    Run {
        code: status.code().expect("mtlsguard exits normally (no signal)"),
        stdout: String::from_utf8(stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(stderr).expect("stderr is UTF-8"),
    }
}

/// Replaces the temporary folder (and its canonical form) with `[TMP]`.
pub fn normalize(text: &str, dir: &Path) -> String {
    let mut out = text.to_owned();
    for p in [dir.canonicalize().ok(), Some(dir.to_path_buf())]
        .into_iter()
        .flatten()
    {
        out = out.replace(&p.to_string_lossy().into_owned(), "[TMP]");
    }
    out
}

/// Writes `files` (relative path, content) under `dir`, creating folders.
pub fn write_files(dir: &Path, files: &[(&str, &[u8])]) {
    for (rel, content) in files {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().expect("a file has a folder")).expect("mkdir");
        std::fs::write(&p, content).expect("write fixture");
    }
}

/// Container Registry token findings (two, warning by default), no fixes.
pub const ACR_BICEP: &str = "\
resource token 'Microsoft.ContainerRegistry/registries/tokens@2023-07-01' = {
  name: 'registry/ci-token'
  properties: {
    credentials: {
      certificates: []
      passwords: [ { name: 'password1' } ]
    }
  }
}
";
