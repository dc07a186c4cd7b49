//! Building and applying fix edits that keep the file's own style (spec section 7).

pub(crate) mod shared;
mod stable;

pub use stable::{FixRun, MAX_FIX_ROUNDS, fix_until_stable};

use std::ops::Range;

use crate::model::Object;
use crate::syntax::{Document, Language};
use crate::text::{only_trivia, opens_block_comment, skip_trivia};
use crate::{Edit, Finding};

/// A value a fix writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewValue {
    Bool(bool),
    Str(String),
    Object(Vec<(String, NewValue)>),
}

impl NewValue {
    /// How the value reads in a fix title: as the file's language writes it
    /// (`'Required'` in Bicep, `"Required"` in JSON).
    pub fn display(&self, lang: Language) -> String {
        match self {
            NewValue::Object(_) => "an object".into(),
            _ => self.render_inline(lang),
        }
    }

    /// `nest(["a", "b"], v)` is `{ a: { b: v } }`.
    pub fn nest(path: &[&str], leaf: NewValue) -> NewValue {
        path.iter().rev().fold(leaf, |inner, key| {
            NewValue::Object(vec![((*key).to_owned(), inner)])
        })
    }

    fn render(&self, lang: Language, indent: &str, unit: &str, eol: &str) -> String {
        match self {
            NewValue::Bool(b) => b.to_string(),
            NewValue::Str(s) => match lang {
                Language::Bicep => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
                Language::Json => format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")),
            },
            NewValue::Object(props) => {
                let inner = format!("{indent}{unit}");
                let sep = match lang {
                    Language::Bicep => eol.to_owned(),
                    Language::Json => format!(",{eol}"),
                };
                let body: Vec<String> = props
                    .iter()
                    .map(|(k, v)| {
                        format!(
                            "{inner}{}",
                            property(lang, k, &v.render(lang, &inner, unit, eol))
                        )
                    })
                    .collect();
                format!("{{{eol}{}{eol}{indent}}}", body.join(&sep))
            }
        }
    }
}

impl NewValue {
    /// On one line, for objects written on one line: `{ clientCertEnabled: true }`.
    fn render_inline(&self, lang: Language) -> String {
        match self {
            NewValue::Object(props) => {
                let body: Vec<String> = props
                    .iter()
                    .map(|(k, v)| property(lang, k, &v.render_inline(lang)))
                    .collect();
                format!("{{ {} }}", body.join(", "))
            }
            _ => self.render(lang, "", "", "\n"),
        }
    }
}

fn property(lang: Language, key: &str, value: &str) -> String {
    match lang {
        Language::Bicep => format!("{key}: {value}"),
        Language::Json => format!("\"{key}\": {value}"),
    }
}

/// Replaces the literal written at `old` with another.
pub(crate) fn replace_value(
    doc: &Document<'_>,
    scope: &Range<usize>,
    old: &Range<usize>,
    new: &NewValue,
) -> Edit {
    let indent = line_indent(doc.text, old.start);
    Edit {
        range: old.clone(),
        new_text: new.render(
            doc.language,
            indent,
            indent_unit(doc.text, scope),
            eol(doc.text, scope),
        ),
    }
}

/// The line ending used where the fix lands (CRLF stays CRLF). Read from the resource
/// itself, not the whole file: incremental analysis reuses a resource's fixes as long as
/// the resource's own text is unchanged, so nothing outside it may shape them.
fn eol(text: &str, scope: &Range<usize>) -> &'static str {
    let from = line_start(text, scope.start.min(text.len()));
    let i = text[from..]
        .find('\n')
        .map(|i| from + i)
        .or_else(|| text.find('\n'));
    match i {
        Some(i) if i > 0 && text.as_bytes()[i - 1] == b'\r' => "\r\n",
        _ => "\n",
    }
}

/// The indentation step, guessed from the first line within the resource that is
/// indented one step deeper than the line before it (see [`eol`] for why not the file).
fn indent_unit<'t>(text: &'t str, scope: &Range<usize>) -> &'t str {
    let start = line_start(text, scope.start.min(text.len()));
    let end = scope.end.clamp(start, text.len());
    let mut prev: Option<&str> = None;
    for line in text[start..end].lines() {
        if line.trim().is_empty() {
            continue;
        }
        let ws = &line[..line.len() - line.trim_start_matches([' ', '\t']).len()];
        if let Some(p) = prev
            && ws.len() > p.len()
            && ws.starts_with(p)
        {
            return &ws[p.len()..];
        }
        prev = Some(ws);
    }
    "  "
}

fn line_start(text: &str, at: usize) -> usize {
    text[..at].rfind(['\n', '\r']).map_or(0, |i| i + 1)
}

/// The end of the line containing `at` (before its line break).
fn line_end(text: &str, at: usize) -> usize {
    text[at..].find(['\n', '\r']).map_or(text.len(), |i| at + i)
}

fn line_indent(text: &str, at: usize) -> &str {
    let start = line_start(text, at);
    let line = &text[start..line_end(text, start)];
    &line[..line.len() - line.trim_start_matches([' ', '\t']).len()]
}

/// Inserts `key: value` as the last property of `obj`, indented like its siblings.
pub(crate) fn insert_property(
    doc: &Document<'_>,
    scope: &Range<usize>,
    obj: &Object,
    key: &str,
    value: &NewValue,
) -> Option<Vec<Edit>> {
    // A closing brace the parser had to invent (a comment or string ran over the real
    // one) leaves no place where an insert is known to land in the object.
    if obj.range.is_empty() || doc.text.as_bytes().get(obj.range.end - 1) != Some(&b'}') {
        return None;
    }
    let edits = insert_edits(doc, scope, obj, key, value);
    // Never an edit inside a comment or a string (found by fuzzing: an unclosed block
    // comment swallowed the rest of an object, and the insert vanished into it).
    let root = doc.tree.root_node();
    let inside = |at: usize| {
        root.descendant_for_byte_range(at, at).is_some_and(|n| {
            // A line comment's node may take in the `\r` of a CRLF: it ends where its
            // visible text ends.
            let seen = doc
                .text
                .get(n.byte_range())
                .map_or(0, |t| t.trim_end().len());
            n.start_byte() < at
                && at < n.start_byte() + seen
                && (n.kind() == "comment" || n.kind().contains("string"))
        })
    };
    if edits.iter().any(|e| inside(e.range.start)) {
        return None;
    }
    Some(edits)
}

fn insert_edits(
    doc: &Document<'_>,
    scope: &Range<usize>,
    obj: &Object,
    key: &str,
    value: &NewValue,
) -> Vec<Edit> {
    let text = doc.text;
    let lang = doc.language;
    let unit = indent_unit(text, scope);
    let eol = eol(text, scope);
    let open = obj.range.start;
    let close = obj.range.end.saturating_sub(1); // the `}`
    let outer_indent = line_indent(text, open);
    let single_line = !text[open..close].contains('\n');
    let Some(last) = obj.props.last() else {
        let inner = format!("{outer_indent}{unit}");
        let prop = property(lang, key, &value.render(lang, &inner, unit, eol));
        if single_line
            || only_trivia(text, open + 1, close) && !text[open + 1..close].contains("//")
        {
            return vec![Edit {
                range: open..obj.range.end,
                new_text: format!("{{{eol}{inner}{prop}{eol}{outer_indent}}}"),
            }];
        }
        let at = line_end(text, open);
        return vec![Edit {
            range: at..at,
            new_text: format!("{eol}{inner}{prop}"),
        }];
    };
    // A trailing comma after the last property (JSON tolerates them; keep the style),
    // possibly after a comment: `"a": 1 /* why */,`.
    let after_last = last.range.end;
    let (comma_at, _) = skip_trivia(text, after_last, close);
    let trailing_comma = text.as_bytes().get(comma_at) == Some(&b',') && comma_at < close;
    let after_comma = comma_at + 1;
    if single_line {
        let prop = property(lang, key, &value.render_inline(lang));
        return match (lang, trailing_comma) {
            (Language::Json, true) => {
                let comma = after_comma;
                vec![Edit {
                    range: comma..comma,
                    new_text: format!(" {prop},"),
                }]
            }
            _ => vec![Edit {
                range: after_last..after_last,
                new_text: format!(", {prop}"),
            }],
        };
    }
    let indent = if line_start(text, last.range.start) == line_start(text, open) {
        format!("{outer_indent}{unit}")
    } else {
        line_indent(text, last.range.start).to_owned()
    };
    let prop = property(lang, key, &value.render(lang, &indent, unit, eol));
    let mut edits = Vec::new();
    let end_of_line = line_end(text, after_last);
    let right_after = if trailing_comma {
        after_comma
    } else {
        after_last
    };
    // A block comment that opens on this line and closes on a later one: the end of the
    // line is inside it, so insert right after the property instead.
    let rest = &text[right_after..end_of_line.max(right_after)];
    let open_comment = opens_block_comment(rest);
    let at = if close < end_of_line || open_comment {
        // The closing brace shares the last property's line: insert right after it.
        right_after
    } else {
        end_of_line
    };
    if lang == Language::Json && !trailing_comma {
        edits.push(Edit {
            range: after_last..after_last,
            new_text: ",".into(),
        });
    }
    let new_text = if close < end_of_line && !open_comment {
        format!(
            "{eol}{indent}{prop}{}{eol}{outer_indent}",
            if lang == Language::Json && trailing_comma {
                ","
            } else {
                ""
            }
        )
    } else {
        format!(
            "{eol}{indent}{prop}{}",
            if lang == Language::Json && trailing_comma {
                ","
            } else {
                ""
            }
        )
    };
    edits.push(Edit {
        range: at..at,
        new_text,
    });
    edits
}

/// Applies non-overlapping edits (sorted here); overlapping ones are an error.
pub fn apply_edits(text: &str, edits: &[Edit]) -> Result<String, String> {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.range.start, e.range.end));
    let mut out = String::with_capacity(text.len() + 64);
    let mut pos = 0;
    for e in sorted {
        if e.range.start < pos || e.range.end > text.len() || e.range.start > e.range.end {
            return Err(format!(
                "edit {:?} overlaps another edit or leaves the text",
                e.range
            ));
        }
        if !text.is_char_boundary(e.range.start) || !text.is_char_boundary(e.range.end) {
            return Err(format!("edit {:?} splits a character", e.range));
        }
        out.push_str(&text[pos..e.range.start]);
        out.push_str(&e.new_text);
        pos = e.range.end;
    }
    out.push_str(&text[pos..]);
    Ok(out)
}

/// Which findings' fixes [`fix_all`] applies, in order: safe ones (or all with
/// `unsafe_fixes`), skipping any that touches a fix taken before it.
pub fn fix_plan(findings: &[Finding], unsafe_fixes: bool) -> Vec<usize> {
    // The taken edits' ranges, by start (the end of the widest at each start): a file can
    // hold 100,000 fixable findings (unused suppressions), so no quadratic scan.
    let mut spans: std::collections::BTreeMap<usize, usize> = std::collections::BTreeMap::new();
    let mut chosen = Vec::new();
    for (i, f) in findings.iter().enumerate() {
        let Some(fix) = &f.fix else { continue };
        if !fix.safe && !unsafe_fixes {
            continue;
        }
        // Two inserts at one point conflict too: both may create the same parent object.
        // Taken spans never touch each other, so only the last one starting at or before
        // an edit's end can reach it.
        let clashes = fix.edits.iter().any(|e| {
            spans
                .range(..=e.range.end)
                .next_back()
                .is_some_and(|(_, &end)| e.range.start <= end)
        });
        if clashes {
            continue;
        }
        for e in &fix.edits {
            let end = spans.entry(e.range.start).or_insert(e.range.end);
            *end = (*end).max(e.range.end);
        }
        chosen.push(i);
    }
    chosen
}

/// Applies the fixes of `findings` (safe ones, or all with `unsafe_fixes`) that do not
/// conflict with each other. Returns the new text and how many fixes went in; callers
/// re-analyze and call again until nothing applies (conflicting fixes go in next round).
pub fn fix_all(text: &str, findings: &[Finding], unsafe_fixes: bool) -> (String, usize) {
    let chosen = fix_plan(findings, unsafe_fixes);
    let edits: Vec<Edit> = chosen
        .iter()
        .filter_map(|&i| findings[i].fix.as_ref())
        .flat_map(|fix| fix.edits.iter().cloned())
        .collect();
    match apply_edits(text, &edits) {
        Ok(t) => (t, chosen.len()),
        Err(_) => (text.to_owned(), 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Fix, Level};

    fn edit(range: std::ops::Range<usize>, text: &str) -> Edit {
        Edit {
            range,
            new_text: text.to_owned(),
        }
    }

    fn finding(edits: Vec<Edit>, safe: bool) -> Finding {
        Finding {
            rule: "app-service-client-cert",
            level: Level::Warning,
            message: String::new(),
            range: 0..0,
            related: Vec::new(),
            fix: Some(Fix {
                title: String::new(),
                edits,
                safe,
                unless_shared: Vec::new(),
                value: None,
            }),
        }
    }

    #[test]
    fn apply_edits_sorts_and_applies() {
        let out = apply_edits(
            "abcdef",
            &[edit(4..5, "E"), edit(0..1, "A"), edit(2..2, "+")],
        );
        assert_eq!(out.unwrap(), "Ab+cdEf");
        // Touching edits and several inserts at one point are fine, in the given order.
        let out = apply_edits("abc", &[edit(1..2, "X"), edit(2..2, "1"), edit(2..2, "2")]);
        assert_eq!(out.unwrap(), "aX12c");
        assert_eq!(apply_edits("abc", &[]).unwrap(), "abc");
    }

    #[test]
    fn apply_edits_rejects_bad_edits() {
        // Overlapping.
        assert!(apply_edits("abcdef", &[edit(1..3, "x"), edit(2..4, "y")]).is_err());
        // Past the end, or reversed.
        assert!(apply_edits("abc", &[edit(2..4, "x")]).is_err());
        #[allow(clippy::reversed_empty_ranges)]
        let reversed = edit(2..1, "x");
        assert!(apply_edits("abc", &[reversed]).is_err());
        // Inside a multi-byte character.
        assert!(apply_edits("é", &[edit(1..2, "e")]).is_err());
    }

    #[test]
    fn fix_all_takes_non_conflicting_fixes_and_leaves_the_rest_for_next_round() {
        let text = "0123456789";
        let findings = vec![
            finding(vec![edit(1..3, "a")], true),
            // Overlaps the first: left for the next round.
            finding(vec![edit(2..4, "b")], true),
            // Touches the first at its end: two inserts at one point may both create the
            // same parent object, so touching counts as a conflict too.
            finding(vec![edit(3..3, "c")], true),
            finding(vec![edit(6..7, "d"), edit(9..9, "!")], true),
            // Not safe: only with unsafe_fixes.
            finding(vec![edit(4..5, "u")], false),
        ];
        let (out, n) = fix_all(text, &findings, false);
        assert_eq!((out.as_str(), n), ("0a345d78!9", 2));
        let (out, n) = fix_all(text, &findings, true);
        assert_eq!((out.as_str(), n), ("0a3u5d78!9", 3));
    }

    #[test]
    fn fix_all_ignores_findings_without_fix_and_keeps_text_on_a_broken_fix() {
        let mut plain = finding(Vec::new(), true);
        plain.fix = None;
        assert_eq!(fix_all("abc", &[plain], true), ("abc".to_owned(), 0));
        // One fix whose own edits overlap cannot be applied: nothing changes.
        let broken = finding(vec![edit(0..2, "x"), edit(1..3, "y")], true);
        assert_eq!(fix_all("abc", &[broken], true), ("abc".to_owned(), 0));
        // A fix reaching past the end likewise.
        let past = finding(vec![edit(2..9, "x")], true);
        assert_eq!(fix_all("abc", &[past], true), ("abc".to_owned(), 0));
    }
}
