//! Syntax: the languages, parsing (one result type, a time budget), which files are
//! templates, syntax errors as findings, and the tree dump.

mod detect;
mod dump;
mod errors;
mod walk;

pub(crate) use detect::is_parameters_schema;
pub use detect::{is_arm_parameters, is_arm_template, language_for_path};
pub use dump::syntax_tree_dump;
pub(crate) use errors::errors;

pub(crate) use walk::{Visit, walk};

use std::time::{Duration, Instant};

use tree_sitter::{ParseOptions, Parser, Tree};

/// The two source languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Language {
    Bicep,
    /// An ARM JSON template (JSON with comments and trailing commas).
    Json,
}

impl Language {
    pub fn ts_language(self) -> tree_sitter::Language {
        match self {
            Language::Bicep => mtlsguard_grammar_bicep::LANGUAGE.into(),
            Language::Json => mtlsguard_grammar_json::LANGUAGE.into(),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Language::Bicep => "bicep",
            Language::Json => "json",
        }
    }
}

/// A document to analyze: its text and a tree parsed from exactly that text.
#[derive(Clone, Copy)]
pub struct Document<'a> {
    pub language: Language,
    pub text: &'a str,
    pub tree: &'a Tree,
}

impl<'a> Document<'a> {
    pub fn new(language: Language, text: &'a str, tree: &'a Tree) -> Self {
        Document {
            language,
            text,
            tree,
        }
    }
}

thread_local! {
    // Parsers are cheap to keep and relatively costly to create; one per thread and language.
    static PARSERS: std::cell::RefCell<[Option<Parser>; 2]> = const { std::cell::RefCell::new([None, None]) };
}

fn with_parser<R>(language: Language, f: impl FnOnce(&mut Parser) -> R) -> R {
    PARSERS.with(|cell| {
        let mut parsers = cell.borrow_mut();
        let parser = parsers[language as usize].get_or_insert_with(|| {
            let mut p = Parser::new();
            p.set_language(&language.ts_language())
                .expect("bundled grammar matches the tree-sitter ABI");
            p
        });
        f(parser)
    })
}

/// How long one parse may take before the parser gives up: a bound on what a hostile
/// text can cost. Real files are far below it (error recovery on 50 KB of shuffled Bicep
/// takes ~30 ms), so in practice it never decides a result.
fn budget(len: usize) -> Duration {
    Duration::from_millis(500) + Duration::from_micros(len as u64 / 2)
}

/// What parsing a text gave.
#[derive(Debug, Clone)]
pub enum Parsed {
    /// The whole text was read; its syntax errors, if any, are nodes of the tree.
    Tree(Tree),
    /// The parser's time budget ran out first: nothing is known of the text (it is
    /// reported as not analyzed, see [`crate::not_analyzed`]), and the next parse of it
    /// starts afresh.
    OutOfTime,
}

impl Parsed {
    pub fn tree(&self) -> Option<&Tree> {
        match self {
            Parsed::Tree(tree) => Some(tree),
            Parsed::OutOfTime => None,
        }
    }

    pub fn tree_mut(&mut self) -> Option<&mut Tree> {
        match self {
            Parsed::Tree(tree) => Some(tree),
            Parsed::OutOfTime => None,
        }
    }

    pub fn into_tree(self) -> Option<Tree> {
        match self {
            Parsed::Tree(tree) => Some(tree),
            Parsed::OutOfTime => None,
        }
    }
}

/// Parses `text`; with `old_tree` (already `edit`ed to match `text`), incrementally.
pub fn parse(language: Language, text: &str, old_tree: Option<&Tree>) -> Parsed {
    let bytes = text.as_bytes();
    parse_with(
        language,
        text.len(),
        &mut |offset| bytes.get(offset..).unwrap_or(&[]),
        old_tree,
    )
}

/// [`parse`] for a text held in pieces (the language server's rope): `read(offset)`
/// returns the bytes from `offset` to the end of the piece holding it, empty at `len`.
pub fn parse_with<T: AsRef<[u8]>>(
    language: Language,
    len: usize,
    read: &mut impl FnMut(usize) -> T,
    old_tree: Option<&Tree>,
) -> Parsed {
    with_parser(language, |parser| budgeted(parser, len, read, old_tree))
}

fn budgeted<T: AsRef<[u8]>>(
    parser: &mut Parser,
    len: usize,
    read: &mut impl FnMut(usize) -> T,
    old_tree: Option<&Tree>,
) -> Parsed {
    let start = Instant::now();
    let budget = budget(len);
    let mut cancel = |_: &tree_sitter::ParseState| start.elapsed() > budget;
    let mut read = |offset: usize, _: tree_sitter::Point| read(offset);
    let tree = parser.parse_with_options(
        &mut read,
        old_tree,
        Some(ParseOptions::new().progress_callback(&mut cancel)),
    );
    match tree {
        Some(tree) => Parsed::Tree(tree),
        None => {
            // A cancelled parse leaves the parser mid-way: the next one must not resume it.
            parser.reset();
            Parsed::OutOfTime
        }
    }
}

/// Parses only `range` of `text`, from `start` to `end` (its points); the tree's offsets
/// and points stay those of the whole text.
pub(crate) fn parse_range(
    language: Language,
    text: &str,
    range: std::ops::Range<usize>,
    (start, end): (tree_sitter::Point, tree_sitter::Point),
) -> Parsed {
    with_parser(language, |parser| {
        let included = tree_sitter::Range {
            start_byte: range.start,
            end_byte: range.end,
            start_point: start,
            end_point: end,
        };
        if parser.set_included_ranges(&[included]).is_err() {
            return Parsed::OutOfTime;
        }
        let bytes = text.as_bytes();
        let mut read = |offset: usize| bytes.get(offset..).unwrap_or(&[]);
        let parsed = budgeted(parser, range.len(), &mut read, None);
        parser
            .set_included_ranges(&[])
            .expect("the whole text is a valid range");
        parsed
    })
}
