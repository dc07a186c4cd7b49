//! The edit patterns: single characters typed into a word, and a property line typed
//! and taken out again.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::lsp::{Doc, Server};
use crate::report::{Stats, ms};

/// Lines typed after, per file: 6 × 54 keystrokes = 324, enough for a p99 that is not
/// just the single worst sample.
const POSITIONS: usize = 6;
pub const PROPERTY_BICEP: &str = "clientCertMode: 'Required'";
const PROPERTY_JSON: &str = r#""clientCertMode": "Required","#;

/// A line the property pattern types a new line after.
pub struct Slot {
    line: usize,
    /// UTF-16 length of the line without its line break: where Enter is pressed.
    end: usize,
    indent: String,
    eol: &'static str,
}

/// The text after `key: ` (Bicep) or `"key": ` (JSON) if `t`, a trimmed line, starts
/// with an object member.
fn member_value(t: &str, bicep: bool) -> Option<&str> {
    let rest = if bicep {
        let key = t
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(t.len());
        if key == 0 || t.starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        &t[key..]
    } else {
        let inner = t.strip_prefix('"')?;
        &inner[inner.find('"')? + 1..]
    };
    rest.strip_prefix(": ").filter(|v| !v.trim().is_empty())
}

/// Whether the brackets of `value` close on its own line, so that the member ends there
/// and a new one can follow it.
fn balanced(value: &str) -> bool {
    let mut depth = 0i32;
    for c in value.chars() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            _ => {}
        }
        if depth < 0 {
            return false;
        }
    }
    depth == 0
}

/// `POSITIONS` lines near the middle of `text` after which a new member line leaves the
/// text valid once it is complete: a one-line member (ending in `,` in JSON, not in Bicep)
/// followed, past blank lines and comments, by another member at its indentation or, in
/// Bicep, by the object's `}`. A decorator as the next line is refused, since the new line
/// would take it over. In Bicep, members of `resource` and `module` bodies are preferred:
/// that is where people add properties. Empty if the file has no such line.
pub fn property_slots(text: &str, bicep: bool) -> Vec<Slot> {
    let lines: Vec<&str> = text.split('\n').collect();
    let indent = |l: &str| l.len() - l.trim_start().len();
    let mut in_multiline = false;
    let mut decl = "";
    let mut found = Vec::new();
    for (i, &l) in lines.iter().enumerate() {
        // The text of Bicep ''' strings only looks like members.
        let fences = l.matches("'''").count();
        let was_in = in_multiline;
        in_multiline ^= fences % 2 == 1;
        if was_in || fences > 0 {
            continue;
        }
        let t = l.trim();
        if indent(l) == 0 && !t.is_empty() && !t.starts_with(['@', '/', '}', ']', ')']) {
            decl = t.split_whitespace().next().unwrap_or("");
        }
        let Some(value) = member_value(t, bicep) else {
            continue;
        };
        if indent(l) == 0 || !balanced(value) || bicep == t.ends_with(',') {
            continue;
        }
        let Some(next) = lines[i + 1..].iter().find(|n| {
            let n = n.trim();
            !n.is_empty() && !n.starts_with("//")
        }) else {
            continue;
        };
        let nt = next.trim();
        let member = indent(next) == indent(l) && member_value(nt, bicep).is_some();
        let closes = bicep && indent(next) < indent(l) && nt.starts_with('}');
        if member || closes {
            found.push((i, matches!(decl, "resource" | "module")));
        }
    }
    if found.iter().any(|&(_, body)| body) {
        found.retain(|&(_, body)| body);
    }
    let middle = lines.len() / 2;
    found.sort_by_key(|&(i, _)| i.abs_diff(middle));
    found.truncate(POSITIONS);
    found.sort();
    // With fewer candidates, type at them again rather than measure fewer keystrokes.
    let count = if found.is_empty() { 0 } else { POSITIONS };
    (0..count)
        .map(|k| {
            let line = found[k % found.len()].0;
            let l = lines[line];
            let content = l.strip_suffix('\r').unwrap_or(l);
            Slot {
                line,
                end: content.encode_utf16().count(),
                indent: content[..indent(content)].to_owned(),
                eol: if l.ends_with('\r') { "\r\n" } else { "\n" },
            }
        })
        .collect()
}

/// Types `edits` characters round-robin into `docs`, waiting for each version's diagnostics.
pub fn type_into(server: &mut Server, docs: &mut [Doc], edits: usize) -> Stats {
    let mut lat = Vec::with_capacity(edits);
    for n in 0..edits {
        let doc = &mut docs[n % docs.len()];
        let sent = Instant::now();
        let version = doc.type_char(server, n);
        let (at, _) = server.diagnostics(&doc.uri.clone(), version);
        lat.push(at.duration_since(sent));
    }
    Stats(lat)
}

/// The property pattern in `doc`, which had `baseline` diagnostics at open: at each slot,
/// Enter, `typed` one character at a time, one backspace per character and one that joins
/// the lines again, each its own `didChange`. Returns the latencies and how many times the
/// restored text did not get back `baseline` diagnostics: the text is the original again,
/// so a different count means the edits or the server's incremental state went wrong.
pub fn type_properties(
    server: &mut Server,
    doc: &mut Doc,
    slots: &[Slot],
    typed: &str,
    baseline: usize,
) -> (Stats, usize) {
    assert!(
        typed.is_ascii(),
        "typed text must be ASCII: columns are counted in chars"
    );
    let mut lat = Vec::new();
    let mut mismatches = 0;
    for slot in slots {
        // ASCII, so the character index of the typed text is its UTF-16 column.
        let col = slot.indent.encode_utf16().count();
        let mut keys = vec![(
            (slot.line, slot.end),
            (slot.line, slot.end),
            format!("{}{}", slot.eol, slot.indent),
        )];
        for (k, c) in typed.chars().enumerate() {
            keys.push(((slot.line + 1, col + k), (slot.line + 1, col + k), c.into()));
        }
        for k in (0..typed.len()).rev() {
            keys.push((
                (slot.line + 1, col + k),
                (slot.line + 1, col + k + 1),
                String::new(),
            ));
        }
        keys.push(((slot.line, slot.end), (slot.line + 1, col), String::new()));
        let mut count = baseline;
        for (start, end, text) in keys {
            let sent = Instant::now();
            let version = doc.edit(server, start, end, &text);
            let at;
            (at, count) = server.diagnostics(&doc.uri.clone(), version);
            lat.push(at.duration_since(sent));
        }
        mismatches += usize::from(count != baseline);
    }
    (Stats(lat), mismatches)
}

/// A file's figures from the property pattern; no stats if it has no line to type after.
pub struct PropertyRow {
    pub name: String,
    pub stats: Option<Stats>,
}

/// Runs the property pattern on each file alone in a fresh server and prints its row.
pub fn property_rows(files: &[(PathBuf, String)], base: &Path) -> Vec<PropertyRow> {
    // The file last: the paths vary too much in length for a column.
    println!(
        "{:>10} {:>7} {:>8} {:>8} {:>8}  file",
        "size", "samples", "p50 ms", "p99 ms", "max ms"
    );
    let mut rows = Vec::new();
    for (path, text) in files {
        let name = path
            .strip_prefix(base)
            .unwrap_or(path)
            .display()
            .to_string();
        let bicep = path.extension().is_some_and(|e| e == "bicep");
        let slots = property_slots(text, bicep);
        if slots.is_empty() {
            println!(
                "{:>7.1} KB       0        -        -        -  {name}: skipped, no object member to type after",
                text.len() as f64 / 1e3
            );
            rows.push(PropertyRow { name, stats: None });
            continue;
        }
        let mut server = Server::spawn();
        let mut doc = Doc::open(&mut server, path, text);
        let (_, baseline) = server.diagnostics(&doc.uri.clone(), 1);
        let typed = if bicep { PROPERTY_BICEP } else { PROPERTY_JSON };
        let (stats, mismatches) = type_properties(&mut server, &mut doc, &slots, typed, baseline);
        server.shutdown();
        println!(
            "{:>7.1} KB {:>7} {:>8.2} {:>8.2} {:>8.2}  {name}",
            text.len() as f64 / 1e3,
            stats.0.len(),
            ms(stats.pct(0.5)),
            ms(stats.pct(0.99)),
            ms(stats.pct(1.0))
        );
        if mismatches > 0 {
            println!(
                "  notice: {mismatches} of {} restored texts got other diagnostics than the file had at open",
                slots.len()
            );
        }
        rows.push(PropertyRow {
            name,
            stats: Some(stats),
        });
    }
    rows
}
