//! Suppression comments (spec section 6) and `unused-suppression`.

use std::ops::Range;

use crate::parse::{Document, Language};
use crate::{Edit, Finding, Fix, Level, LineIndex, SYNTAX_ERROR, Settings, UNUSED_SUPPRESSION};

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum Kind {
    NextLine,
    Disable,
    Restore,
}

#[derive(Debug)]
struct Directive {
    kind: Kind,
    line: usize,
    /// The whole line, with its line break (for deleting it).
    line_range: Range<usize>,
    /// Every id named, ours or not (Bicep directives also carry Bicep linter codes).
    ids: Vec<(String, Range<usize>)>,
}

fn directives(doc: &Document<'_>, index: &LineIndex) -> Vec<Directive> {
    let text = doc.text;
    let mut out = Vec::new();
    let prefixes: &[(&str, Kind)] = match doc.language {
        Language::Bicep => &[
            ("#disable-next-line", Kind::NextLine),
            ("#disable-diagnostics", Kind::Disable),
            ("#restore-diagnostics", Kind::Restore),
        ],
        Language::Json => &[("//", Kind::NextLine)],
    };
    for line in 0..index.line_count() {
        let start = index.line_start(line);
        let end = if line + 1 < index.line_count() {
            index.line_start(line + 1)
        } else {
            text.len()
        };
        let content = text[start..end].trim_end_matches(['\r', '\n']);
        let trimmed = content.trim_start();
        let lead = content.len() - trimmed.len();
        let Some((prefix, kind)) = prefixes.iter().find(|(p, _)| trimmed.starts_with(p)) else {
            continue;
        };
        let mut rest_start = start + lead + prefix.len();
        if doc.language == Language::Json {
            let after = &text[rest_start..start + content.len()];
            let t = after.trim_start();
            let Some(r) = t.strip_prefix("mtlsguard-disable-next-line") else {
                continue;
            };
            if !(r.is_empty() || r.starts_with(char::is_whitespace)) {
                continue;
            }
            rest_start += after.len() - r.len();
        }
        // The directive must be a comment, not text inside a (multi-line) string.
        let node = doc
            .tree
            .root_node()
            .descendant_for_byte_range(start + lead, start + lead + 1);
        if node.is_some_and(|n| n.kind().contains("string")) {
            continue;
        }
        let mut ids = Vec::new();
        let rest = &text[rest_start..start + content.len()];
        let mut offset = rest_start;
        for word in rest.split(char::is_whitespace) {
            if !word.is_empty() {
                ids.push((word.to_owned(), offset..offset + word.len()));
            }
            offset += word.len() + 1;
        }
        out.push(Directive {
            kind: *kind,
            line,
            line_range: start..end,
            ids,
        });
    }
    out
}

/// Removes suppressed findings and adds `unused-suppression` findings.
pub(crate) fn apply(doc: &Document<'_>, settings: &Settings, findings: &mut Vec<Finding>) {
    // Cheap pre-check: most files have no directive at all.
    let marker = match doc.language {
        Language::Bicep => "#disable-",
        Language::Json => "mtlsguard-disable-next-line",
    };
    if !doc.text.contains(marker) {
        return;
    }
    let index = LineIndex::new(doc.text);
    let dirs = directives(doc, &index);
    if dirs.is_empty() {
        return;
    }
    let mut used = vec![Vec::new(); dirs.len()];
    for (d, dir) in dirs.iter().enumerate() {
        used[d] = vec![false; dir.ids.len()];
    }
    findings.retain(|f| {
        let line = index.line(f.range.start);
        let mut suppressed = false;
        for (d, dir) in dirs.iter().enumerate() {
            let covers = match dir.kind {
                Kind::NextLine => dir.line + 1 == line,
                Kind::Disable => dir.line < line && !restored_before(&dirs, d, line, f.rule),
                Kind::Restore => false,
            };
            if !covers {
                continue;
            }
            for (i, (id, _)) in dir.ids.iter().enumerate() {
                if id == f.rule {
                    used[d][i] = true;
                    suppressed = true;
                }
            }
        }
        !suppressed
    });
    let level = settings.level(UNUSED_SUPPRESSION);
    if level == Level::Off {
        return;
    }
    for (d, dir) in dirs.iter().enumerate() {
        if dir.kind == Kind::Restore {
            continue;
        }
        let ours: Vec<usize> = (0..dir.ids.len())
            .filter(|&i| is_suppressible(&dir.ids[i].0))
            .collect();
        for &i in &ours {
            let (id, range) = &dir.ids[i];
            // A suppression of a rule that is off is not stale: it may be turned on again.
            if used[d][i] || settings.level(id) == Level::Off {
                continue;
            }
            let all_ours_unused = dir.ids.len() == ours.len() && ours.iter().all(|&j| !used[d][j]);
            let edit = if all_ours_unused {
                Edit {
                    range: dir.line_range.clone(),
                    new_text: String::new(),
                }
            } else {
                let before = doc.text[..range.start].trim_end_matches([' ', '\t']).len();
                Edit {
                    range: before..range.end,
                    new_text: String::new(),
                }
            };
            findings.push(Finding {
                rule: UNUSED_SUPPRESSION,
                level,
                message: format!("unused suppression: no {id} finding here to suppress"),
                range: range.clone(),
                related: Vec::new(),
                fix: Some(Fix {
                    title: format!("Remove the unused suppression of {id}"),
                    edits: vec![edit],
                    safe: true,
                }),
            });
        }
    }
}

fn is_suppressible(id: &str) -> bool {
    id != UNUSED_SUPPRESSION && (id == SYNTAX_ERROR || crate::rules::rule(id).is_some())
}

/// True when a `#restore-diagnostics` naming `rule` stands between directive `d` and `line`.
fn restored_before(dirs: &[Directive], d: usize, line: usize, rule: &str) -> bool {
    dirs.iter().any(|r| {
        r.kind == Kind::Restore
            && r.line > dirs[d].line
            && r.line < line
            && r.ids.iter().any(|(id, _)| id == rule)
    })
}
