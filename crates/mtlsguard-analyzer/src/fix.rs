//! Building and applying fix edits that keep the file's own style (spec section 7).

use crate::model::{Object, Value};
use crate::parse::{Document, Language};
use crate::{Edit, Finding};

/// A value a fix writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewValue {
    Bool(bool),
    Str(String),
    Object(Vec<(String, NewValue)>),
}

impl NewValue {
    /// How the value reads in a fix title.
    pub fn display(&self) -> String {
        match self {
            NewValue::Bool(b) => b.to_string(),
            NewValue::Str(s) => format!("'{s}'"),
            NewValue::Object(_) => "an object".into(),
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

fn property(lang: Language, key: &str, value: &str) -> String {
    match lang {
        Language::Bicep => format!("{key}: {value}"),
        Language::Json => format!("\"{key}\": {value}"),
    }
}

/// Replaces a property's value with a literal.
pub(crate) fn replace_value(doc: &Document<'_>, old: &Value, new: &NewValue) -> Edit {
    let indent = line_indent(doc.text, old.range.start);
    Edit {
        range: old.range.clone(),
        new_text: new.render(doc.language, indent, indent_unit(doc.text), eol(doc.text)),
    }
}

/// The line ending the file uses (CRLF stays CRLF).
fn eol(text: &str) -> &'static str {
    match text.find('\n') {
        Some(i) if i > 0 && text.as_bytes()[i - 1] == b'\r' => "\r\n",
        _ => "\n",
    }
}

/// The file's indentation step, guessed from the first indented line.
fn indent_unit(text: &str) -> &str {
    for line in text.lines().take(200) {
        let ws = &line[..line.len() - line.trim_start_matches([' ', '\t']).len()];
        if ws.starts_with('\t') {
            return "\t";
        }
        if !ws.is_empty() && !line.trim().is_empty() {
            return ws;
        }
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

/// True when only blanks and comments stand between `from` and `to`.
fn only_trivia(text: &str, from: usize, to: usize) -> bool {
    let seg = text.get(from..to).unwrap_or("");
    let mut rest = seg.trim_start();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("//") {
            rest = r.find('\n').map_or("", |i| &r[i..]).trim_start();
        } else if let Some(r) = rest.strip_prefix("/*") {
            match r.find("*/") {
                Some(i) => rest = r[i + 2..].trim_start(),
                None => return false,
            }
        } else {
            return false;
        }
    }
    true
}

/// Inserts `key: value` as the last property of `obj`, indented like its siblings.
pub(crate) fn insert_property(
    doc: &Document<'_>,
    obj: &Object,
    key: &str,
    value: &NewValue,
) -> Vec<Edit> {
    let text = doc.text;
    let lang = doc.language;
    let unit = indent_unit(text);
    let eol = eol(text);
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
    // A trailing comma after the last property (JSON tolerates them; keep the style).
    let after_last = last.range.end;
    let trailing_comma = text[after_last..close].trim_start().starts_with(',');
    if single_line {
        let prop = property(lang, key, &value.render(lang, outer_indent, unit, eol));
        return match (lang, trailing_comma) {
            (Language::Json, true) => {
                let comma = after_last + text[after_last..].find(',').unwrap_or(0) + 1;
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
    let at = if close < end_of_line {
        // The closing brace shares the last property's line: insert right after it.
        if trailing_comma {
            after_last + text[after_last..].find(',').unwrap_or(0) + 1
        } else {
            after_last
        }
    } else {
        end_of_line
    };
    if lang == Language::Json && !trailing_comma {
        edits.push(Edit {
            range: after_last..after_last,
            new_text: ",".into(),
        });
    }
    let new_text = if close < end_of_line {
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

/// Applies the fixes of `findings` (safe ones, or all with `unsafe_fixes`) that do not
/// conflict with each other. Returns the new text and how many fixes went in; callers
/// re-analyze and call again until nothing applies (conflicting fixes go in next round).
pub fn fix_all(text: &str, findings: &[Finding], unsafe_fixes: bool) -> (String, usize) {
    let mut taken: Vec<&Edit> = Vec::new();
    let mut applied = 0;
    for f in findings {
        let Some(fix) = &f.fix else { continue };
        if !fix.safe && !unsafe_fixes {
            continue;
        }
        // Two inserts at one point conflict too: both may create the same parent object.
        let clashes = fix.edits.iter().any(|e| {
            taken
                .iter()
                .any(|t| e.range.start <= t.range.end && t.range.start <= e.range.end)
        });
        if clashes {
            continue;
        }
        taken.extend(fix.edits.iter());
        applied += 1;
    }
    let edits: Vec<Edit> = taken.into_iter().cloned().collect();
    match apply_edits(text, &edits) {
        Ok(t) => (t, applied),
        Err(_) => (text.to_owned(), 0),
    }
}
