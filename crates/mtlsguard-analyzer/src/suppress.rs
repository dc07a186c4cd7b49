//! Suppression comments (spec section 6) and `unused-suppression`.

use std::ops::Range;

use crate::syntax::{Document, Language};
use crate::{Edit, Finding, Fix, Level, LineIndex, SYNTAX_ERROR, Settings, UNUSED_SUPPRESSION};

/// The directives' words: Bicep's own (`#disable-next-line` is also what the Bicep
/// linter reads), and in ARM JSON a `//` comment starting with ours.
const BICEP_NEXT_LINE: &str = "#disable-next-line";
const BICEP_DISABLE: &str = "#disable-diagnostics";
const BICEP_RESTORE: &str = "#restore-diagnostics";
const JSON_NEXT_LINE: &str = "mtlsguard-disable-next-line";

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum DirectiveKind {
    NextLine,
    Disable,
    Restore,
}

#[derive(Debug)]
struct Directive {
    kind: DirectiveKind,
    line: usize,
    /// The whole line, with its line break (for deleting it).
    line_range: Range<usize>,
    /// Every id named, ours or not (Bicep directives also carry Bicep linter codes).
    ids: Vec<(String, Range<usize>)>,
}

fn directives(doc: &Document<'_>, index: &LineIndex) -> Vec<Directive> {
    let text = doc.text;
    let mut out = Vec::new();
    let prefixes: &[(&str, DirectiveKind)] = match doc.language {
        Language::Bicep => &[
            (BICEP_NEXT_LINE, DirectiveKind::NextLine),
            (BICEP_DISABLE, DirectiveKind::Disable),
            (BICEP_RESTORE, DirectiveKind::Restore),
        ],
        Language::Json => &[("//", DirectiveKind::NextLine)],
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
            let Some(r) = json_directive_ids(after) else {
                continue;
            };
            rest_start += after.len() - r.len();
        }
        // A directive must be a comment, not a line of a multi-line string (Bicep's
        // `'''`, or an ARM string with raw line breaks).
        let node = doc
            .tree
            .root_node()
            .descendant_for_byte_range(start + lead, start + lead + 1);
        if node.is_some_and(|n| n.kind().contains("string")) {
            continue;
        }
        let mut ids = Vec::new();
        let rest = &text[rest_start..start + content.len()];
        for word in rest.split(char::is_whitespace).filter(|w| !w.is_empty()) {
            // A trailing comment (`// why`) explains the directive; it names no rule.
            if word.starts_with("//") || word.starts_with("/*") {
                break;
            }
            // Position from the slice itself: whitespace can be wider than one byte.
            let offset = rest_start + (word.as_ptr() as usize - rest.as_ptr() as usize);
            ids.push((word.to_owned(), offset..offset + word.len()));
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
        Language::Json => JSON_NEXT_LINE,
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
    let closing = closing_restores(&dirs);
    // Directives are in line order: the next-line ones are found by binary search, so
    // a file with many directives and many findings stays linear-ish.
    let next_line: Vec<usize> = (0..dirs.len())
        .filter(|&d| dirs[d].kind == DirectiveKind::NextLine)
        .collect();
    let disables: Vec<usize> = (0..dirs.len())
        .filter(|&d| dirs[d].kind == DirectiveKind::Disable)
        .collect();
    findings.retain(|f| {
        let line = index.line(f.range.start);
        let mut suppressed = false;
        let mut mark = |d: usize, covers_id: &dyn Fn(usize) -> bool| {
            for (i, (id, _)) in dirs[d].ids.iter().enumerate() {
                if id == f.rule && covers_id(i) {
                    used[d][i] = true;
                    suppressed = true;
                }
            }
        };
        if line > 0 {
            let first = next_line.partition_point(|&d| dirs[d].line < line - 1);
            for &d in next_line[first..]
                .iter()
                .take_while(|&&d| dirs[d].line == line - 1)
            {
                mark(d, &|_| true);
            }
        }
        let before = disables.partition_point(|&d| dirs[d].line < line);
        for &d in &disables[..before] {
            // Not restored between the directive and the finding.
            mark(d, &|i| closing[d][i].is_none_or(|r| dirs[r].line >= line));
        }
        !suppressed
    });
    let level = settings.level(UNUSED_SUPPRESSION);
    if level == Level::Off {
        return;
    }
    for (d, dir) in dirs.iter().enumerate() {
        if dir.kind == DirectiveKind::Restore {
            continue;
        }
        let ours: Vec<usize> = (0..dir.ids.len())
            .filter(|&i| is_suppressible(&dir.ids[i].0))
            .collect();
        // Ids of rules that are off are kept: the rule may be turned on again.
        let stale = |j: usize| !used[d][j] && settings.level(&dir.ids[j].0) != Level::Off;
        let all_stale = dir.ids.len() == ours.len() && ours.iter().all(|&j| stale(j));
        for &i in &ours {
            let (id, range) = &dir.ids[i];
            if !stale(i) {
                continue;
            }
            let mut edits = if all_stale {
                vec![Edit {
                    range: dir.line_range.clone(),
                    new_text: String::new(),
                }]
            } else {
                vec![remove_word(doc.text, range)]
            };
            // A stale `#disable-diagnostics` takes its `#restore-diagnostics` along, or
            // the fixed file would restore what nothing disables. When the whole line
            // goes, every id on it goes, so each finding's fix is the same full edit.
            if dir.kind == DirectiveKind::Disable {
                let gone: Vec<&str> = if all_stale {
                    ours.iter().map(|&j| dir.ids[j].0.as_str()).collect()
                } else {
                    vec![id.as_str()]
                };
                edits.extend(restore_edits(doc.text, &dirs, &closing, d, &gone));
            }
            findings.push(Finding {
                rule: UNUSED_SUPPRESSION,
                level,
                message: format!("unused suppression: no {id} finding here to suppress"),
                range: range.clone(),
                related: Vec::new(),
                fix: Some(Fix {
                    title: format!("Remove the unused suppression of {id}"),
                    edits,
                    safe: true,
                    unless_shared: Vec::new(),
                    value: None,
                }),
            });
        }
    }
}

/// Deletes one id of a directive, with the blanks before it.
fn remove_word(text: &str, range: &Range<usize>) -> Edit {
    let before = text[..range.start].trim_end_matches([' ', '\t']).len();
    Edit {
        range: before..range.end,
        new_text: String::new(),
    }
}

/// Edits removing `ids` from the `#restore-diagnostics` lines that close directive `d`
/// (a restore line left with no id at all is deleted).
fn restore_edits(
    text: &str,
    dirs: &[Directive],
    closing: &[Vec<Option<usize>>],
    d: usize,
    ids: &[&str],
) -> Vec<Edit> {
    let mut per_restore: Vec<(usize, Vec<usize>)> = Vec::new();
    for id in ids {
        let Some(r) = dirs[d]
            .ids
            .iter()
            .position(|(x, _)| x == id)
            .and_then(|i| closing[d][i])
        else {
            continue;
        };
        let Some(at) = dirs[r].ids.iter().position(|(x, _)| x == id) else {
            continue;
        };
        match per_restore.iter_mut().find(|(x, _)| *x == r) {
            Some((_, list)) => list.push(at),
            None => per_restore.push((r, vec![at])),
        }
    }
    let mut edits = Vec::new();
    for (r, list) in per_restore {
        let dir = &dirs[r];
        if list.len() == dir.ids.len() {
            edits.push(Edit {
                range: dir.line_range.clone(),
                new_text: String::new(),
            });
        } else {
            edits.extend(list.iter().map(|&i| remove_word(text, &dir.ids[i].1)));
        }
    }
    edits
}

/// For each id of each `#disable-diagnostics`, the first `#restore-diagnostics` after it
/// that names the id (one backward pass: hostile files hold 100,000 directives).
fn closing_restores(dirs: &[Directive]) -> Vec<Vec<Option<usize>>> {
    let mut next: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut out = vec![Vec::new(); dirs.len()];
    for (d, dir) in dirs.iter().enumerate().rev() {
        match dir.kind {
            DirectiveKind::Restore => {
                for (id, _) in &dir.ids {
                    next.insert(id.as_str(), d);
                }
            }
            DirectiveKind::Disable => {
                out[d] = dir
                    .ids
                    .iter()
                    .map(|(id, _)| next.get(id.as_str()).copied())
                    .collect();
            }
            DirectiveKind::NextLine => {}
        }
    }
    out
}

fn is_suppressible(id: &str) -> bool {
    id != UNUSED_SUPPRESSION && (id == SYNTAX_ERROR || crate::rules::rule(id).is_some())
}

/// What follows our directive word in the body of an ARM `//` comment (the rule ids),
/// or `None` when the comment is no directive of ours.
fn json_directive_ids(comment: &str) -> Option<&str> {
    let rest = comment.trim_start().strip_prefix(JSON_NEXT_LINE)?;
    (rest.is_empty() || rest.starts_with(char::is_whitespace)).then_some(rest)
}

/// The edit that suppresses `rule` on the line holding byte `at` of `text` (the language
/// server's "Disable <rule> for this line"): the rule appended to the next-line directive
/// just above, or a new directive above, indented like the line.
pub fn suppression_edit(text: &str, language: Language, rule: &str, at: usize) -> Edit {
    let index = LineIndex::new(text);
    let line_of = |line: usize| {
        let start = index.line_start(line);
        let end = if line + 1 < index.line_count() {
            index.line_start(line + 1)
        } else {
            text.len()
        };
        (start, &text[start..end])
    };
    let line = index.line(at.min(text.len()));
    let (line_start, current) = line_of(line);
    let indent = &current[..current.len() - current.trim_start_matches([' ', '\t']).len()];
    if line > 0 {
        let (prev_start, prev) = line_of(line - 1);
        let trimmed = prev.trim_start();
        let existing = match language {
            Language::Bicep => trimmed.starts_with(BICEP_NEXT_LINE),
            Language::Json => trimmed
                .strip_prefix("//")
                .and_then(json_directive_ids)
                .is_some(),
        };
        if existing {
            let end = prev_start + prev.trim_end().len();
            return Edit {
                range: end..end,
                new_text: format!(" {rule}"),
            };
        }
    }
    let directive = match language {
        Language::Bicep => BICEP_NEXT_LINE.to_owned(),
        Language::Json => format!("// {JSON_NEXT_LINE}"),
    };
    Edit {
        range: line_start..line_start,
        new_text: format!(
            "{indent}{directive} {rule}{}",
            crate::text::line_break(text)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suppression_edits() {
        let text = "resource a 'x' = {\r\n  properties: {}\r\n}\r\n";
        let at = 22;
        assert_eq!(
            suppression_edit(text, Language::Bicep, "r1", at),
            Edit {
                range: 20..20,
                new_text: "  #disable-next-line r1\r\n".into()
            }
        );
        let text = "x\n    #disable-next-line BCP1  \n    y: 1\n";
        assert_eq!(
            suppression_edit(
                text,
                Language::Bicep,
                "r1",
                text.match_indices('\n').nth(1).unwrap().0 + 1 + 4
            ),
            Edit {
                range: 29..29,
                new_text: " r1".into()
            }
        );
        let text = "{\n  // mtlsguard-disable-next-line a\n  \"b\": 1\n}";
        assert_eq!(
            suppression_edit(
                text,
                Language::Json,
                "r1",
                text.match_indices('\n').nth(1).unwrap().0 + 1 + 2
            ),
            Edit {
                range: 36..36,
                new_text: " r1".into()
            }
        );
        let text = "{\n  \"b\": 1\n}";
        assert_eq!(
            suppression_edit(text, Language::Json, "r1", 4),
            Edit {
                range: 2..2,
                new_text: "  // mtlsguard-disable-next-line r1\n".into()
            }
        );
    }
}
