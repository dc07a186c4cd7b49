//! `json`: a stable array of findings (README, "Output formats").

use serde::Serialize;

use super::super::process::{Report, Source};
use super::pos;

#[derive(Serialize)]
struct JsonPosition {
    line: usize,
    column: usize,
    offset: usize,
}

#[derive(Serialize)]
struct JsonRange {
    start: JsonPosition,
    end: JsonPosition,
}

#[derive(Serialize)]
struct JsonRelated {
    /// The file, when it is not the finding's (a module's property, spec section 8).
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<String>,
    message: String,
    range: JsonRange,
}

#[derive(Serialize)]
struct JsonEdit {
    range: JsonRange,
    new_text: String,
}

#[derive(Serialize)]
struct JsonFix {
    title: String,
    safe: bool,
    edits: Vec<JsonEdit>,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    path: &'a str,
    rule: &'static str,
    level: &'static str,
    message: &'a str,
    range: JsonRange,
    related: Vec<JsonRelated>,
    fix: Option<JsonFix>,
}

fn json_range(src: Option<&Source>, range: &std::ops::Range<usize>) -> JsonRange {
    let point = |offset: usize| {
        let (line, column) = pos(src, offset);
        JsonPosition {
            line,
            column,
            offset: src.map_or(offset, |s| s.file_offset(offset)),
        }
    };
    JsonRange {
        start: point(range.start),
        end: point(range.end),
    }
}

/// A JSON array of findings (schema in the README, "Output formats").
pub fn json(reports: &[Report]) -> String {
    let mut all = Vec::new();
    for r in reports {
        let src = r.source.as_ref();
        for f in &r.findings {
            all.push(JsonFinding {
                path: &r.display,
                rule: f.rule,
                level: f.level.as_str(),
                message: &f.message,
                range: json_range(src, &f.range),
                related: f
                    .related
                    .iter()
                    .map(|rel| {
                        let (rel_src, path) = r.related_in(rel);
                        JsonRelated {
                            path: rel.file.is_some().then(|| path.to_owned()),
                            message: rel.message.clone(),
                            range: json_range(rel_src, &rel.range),
                        }
                    })
                    .collect(),
                fix: f.fix.as_ref().map(|fix| JsonFix {
                    title: fix.title.clone(),
                    safe: fix.safe,
                    edits: fix
                        .edits
                        .iter()
                        .map(|e| JsonEdit {
                            range: json_range(src, &e.range),
                            new_text: e.new_text.clone(),
                        })
                        .collect(),
                }),
            });
        }
    }
    let mut s = serde_json::to_string_pretty(&all).expect("findings serialize");
    s.push('\n');
    s
}
