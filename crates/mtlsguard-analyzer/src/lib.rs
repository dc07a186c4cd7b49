//! The mtlsguard analyzer: Bicep / ARM JSON source text in, client-certificate findings out.
//!
//! Pure by design: no file or network I/O and no LSP types, so the CLI and the language
//! server share exactly the same behaviour. Every range is a byte range into the source
//! text; callers convert to lines and columns in the encoding they need ([`LineIndex`]).

mod check;
mod eval;
mod finding;
mod fix;
mod incremental;
mod line_index;
mod lower;
mod model;
mod rules;
mod suppress;
mod syntax;
mod text;
mod workspace;

pub use check::{
    analyze, analyze_text, analyze_text_with_outcomes, declared_resource_starts, keep_clean_fixes,
    not_analyzed, syntax_error_count,
};
pub use eval::Why;
pub use finding::{
    DEFAULT_MAX_FILE_SIZE, Edit, FILE_ERROR, Finding, Fix, Level, NOT_ANALYZED, Related,
    SYNTAX_ERROR, UNRESOLVED_REFERENCE, UNUSED_SUPPRESSION,
};
pub use fix::{FixRun, MAX_FIX_ROUNDS, apply_edits, fix_all, fix_plan, fix_until_stable};
pub use incremental::Analyzer;
pub use line_index::LineIndex;
pub use rules::{Outcome, RULES, RuleMeta, Settings, rule};
pub use suppress::suppression_edit;
pub use syntax::syntax_tree_dump;
pub use syntax::{
    Document, Language, Parsed, is_arm_parameters, is_arm_template, language_for_path, parse,
    parse_with,
};
pub use text::{replace, undo};
pub use workspace::{LinkGraph, Prepared, Workspace, WorkspaceAnalysis, may_call};
