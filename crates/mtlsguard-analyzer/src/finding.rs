//! What analysis produces: findings, their fixes and levels.

use std::ops::Range;

use crate::line_index::LineIndex;

/// Rule id of the pseudo-rule that reports parse errors.
pub const SYNTAX_ERROR: &str = "syntax-error";
/// Rule id of the pseudo-rule that reports suppression comments that matched nothing.
pub const UNUSED_SUPPRESSION: &str = "unused-suppression";
/// Rule id of the references across files that cannot be followed (spec section 8).
pub const UNRESOLVED_REFERENCE: &str = "unresolved-reference";
/// Rule id of the file-level problems (not UTF-8, too large).
pub const FILE_ERROR: &str = "file-error";
/// The message of the syntax error that says a text was not analyzed (the parser's time
/// budget ran out: [`not_analyzed`]), so that callers hiding syntax errors can keep this one.
pub const NOT_ANALYZED: &str =
    "syntax error: too deeply nested or too broken to parse in time; this part was not analyzed";

/// In a message as the rules make it, `LINE_OF k LINE_OF` stands for `line N`, N the
/// line of the finding's related location `k`: written when the findings are final,
/// since incremental analysis reuses findings after edits that move that location.
pub(crate) const LINE_OF: char = '\u{0}';

/// Writes the lines [`LINE_OF`] stands for in `findings`, as editors count lines.
pub(crate) fn write_lines(text: &str, findings: &mut [Finding]) {
    if !findings.iter().any(|f| f.message.contains(LINE_OF)) {
        return;
    }
    let index = LineIndex::new(text);
    for f in findings.iter_mut().filter(|f| f.message.contains(LINE_OF)) {
        let mut out = String::with_capacity(f.message.len());
        let mut parts = f.message.split(LINE_OF);
        out.push_str(parts.next().unwrap_or(""));
        while let (Some(k), Some(rest)) = (parts.next(), parts.next()) {
            if let Some(r) = k.parse::<usize>().ok().and_then(|k| f.related.get(k)) {
                out.push_str(&format!("line {}", index.line(r.range.start) + 1));
            }
            out.push_str(rest);
        }
        f.message = out;
    }
}

/// Default size limit of an analyzed file (spec section 1).
pub const DEFAULT_MAX_FILE_SIZE: usize = 16 * 1024 * 1024;

/// How loudly a rule reports. `Off` disables the rule entirely.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Off,
    Info,
    Warning,
    Error,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Off => "off",
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        Some(match s {
            "off" => Level::Off,
            "info" => Level::Info,
            "warning" => Level::Warning,
            "error" => Level::Error,
            _ => return None,
        })
    }
}

/// A text replacement: `range` (bytes) becomes `new_text`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Edit {
    pub range: Range<usize>,
    pub new_text: String,
}

/// A fix for one finding: a set of non-overlapping edits applied together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    /// Human title, e.g. "Set clientCertMode to 'Required'".
    pub title: String,
    pub edits: Vec<Edit>,
    /// Safe fixes are applied by `check --fix` and marked preferred in the editor;
    /// unsafe ones need `--unsafe-fixes` (they change behaviour beyond the finding).
    pub safe: bool,
    /// A fix that edits definitions (a param's default, a var's literal) is safe only
    /// when nothing else uses them: their `(what, name)`, decided when the findings are
    /// final, since another resource may start using one without being re-checked.
    pub(crate) unless_shared: Vec<(&'static str, String)>,
    /// What the fix writes, kept so that a finding moved into a caller (spec section 8)
    /// can write it there, in the caller's language.
    pub(crate) value: Option<crate::fix::NewValue>,
}

/// A secondary location that explains a finding (e.g. the param whose default decided it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Related {
    pub range: Range<usize>,
    pub message: String,
    /// The file it is in, when it is not the finding's own (a module's property, for a
    /// finding reported in its caller): a workspace path.
    pub file: Option<String>,
}

/// One problem found in a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Rule id, e.g. `app-service-client-cert`, `unused-suppression`, `syntax-error`.
    pub rule: &'static str,
    /// The configured level (never `Off`: disabled rules produce no findings).
    pub level: Level,
    pub message: String,
    pub range: Range<usize>,
    pub related: Vec<Related>,
    pub fix: Option<Fix>,
}
