//! `github`: GitHub Actions workflow annotations (`::warning file=...::message`).

use std::fmt::Write as _;

use mtlsguard_analyzer::Level;

use super::super::process::Report;
use super::pos;

/// Escapes the message part of a workflow command.
fn gh_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value of a workflow command.
fn gh_property(s: &str) -> String {
    gh_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// GitHub Actions workflow annotations.
pub fn github(reports: &[Report]) -> String {
    let mut out = String::new();
    for r in reports {
        let src = r.source.as_ref();
        for f in &r.findings {
            let cmd = match f.level {
                Level::Error => "error",
                Level::Warning => "warning",
                Level::Info | Level::Off => "notice",
            };
            let _ = write!(out, "::{cmd} file={}", gh_property(&r.display));
            if src.is_some() {
                let (sl, sc) = pos(src, f.range.start);
                let (el, ec) = pos(src, f.range.end);
                let _ = write!(out, ",line={sl},col={sc},endLine={el},endColumn={ec}");
            }
            let _ = writeln!(
                out,
                ",title={}::{}",
                gh_property(f.rule),
                gh_data(&f.message)
            );
        }
    }
    out
}
