//! Open documents: a rope, the tree-sitter tree kept in step with it, the version.
//!
//! Every mutation here is synchronous; the server applies them in the order the client
//! sent them (see `schedule.rs`), so a document never needs to reorder anything.

use std::borrow::Cow;

use mtlsguard_analyzer::{Language, Parsed, is_arm_template, language_for_path};
use ropey::Rope;
use tower_lsp_server::ls_types::{TextDocumentContentChangeEvent, Uri};
use tree_sitter::{InputEdit, Point, Tree};

use super::position::{self, Encoding};

/// What a document is to the server, decided from its language id (or path) at open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LanguageId {
    Bicep,
    /// JSON that is analyzed only while its `$schema` names a deployment template.
    Json,
    /// Anything else: tracked so edits to it are not errors, but never parsed or analyzed.
    Other,
}

impl LanguageId {
    pub fn from_client(language_id: &str, uri: &str) -> LanguageId {
        match language_id {
            "bicep" | "bicep-params" => LanguageId::Bicep,
            "json" | "jsonc" | "arm-template" | "armtemplate" => LanguageId::Json,
            "" | "plaintext" => match language_for_path(uri.split(['?', '#']).next().unwrap_or(""))
            {
                Some(Language::Bicep) => LanguageId::Bicep,
                Some(Language::Json) => LanguageId::Json,
                None => LanguageId::Other,
            },
            _ => LanguageId::Other,
        }
    }
}

/// One open document.
pub struct Doc {
    pub language_id: LanguageId,
    pub rope: Rope,
    /// The parse of `rope`, present while the document is analyzed.
    pub tree: Option<Parsed>,
    pub version: i32,
    /// Changes with every mutation (unique across the server's documents); a result computed
    /// for one `seq` is stale once the document has another.
    pub seq: u64,
    /// How many lone `\r` the text has: tree-sitter rows count `\n` only, LSP lines (and
    /// the rope's) also break at a lone `\r`, so points need the slow path when non-zero.
    lone_cr: usize,
    /// The language the text is analyzed as (a JSON document's `$schema` decides).
    language: Option<Language>,
    /// Texts longer than this are not parsed: analysis only reports them as too large, and
    /// a tree costs 20 to 30 times the text (a 50 MB document's, over a gigabyte).
    max_len: u64,
}

/// An immutable copy of a document (cheap: the rope and the tree share their storage).
#[derive(Clone)]
pub struct Snapshot {
    pub uri: Uri,
    pub rope: Rope,
    /// Present when the document is analyzed.
    pub language: Option<Language>,
    /// The parse of `rope`; missing when the text was too large to parse.
    pub tree: Option<Parsed>,
    pub version: i32,
    pub seq: u64,
}

/// Why a change was not applied.
#[derive(Debug, PartialEq, Eq)]
pub enum Rejected {
    StaleVersion { current: i32, got: i32 },
}

impl Doc {
    pub fn open(language_id: LanguageId, text: &str, version: i32, seq: u64, max_len: u64) -> Doc {
        let rope = if language_id == LanguageId::Other {
            Rope::new()
        } else {
            Rope::from_str(text)
        };
        let lone_cr = count_lone_cr(&rope, 0, rope.len_bytes());
        let mut doc = Doc {
            language_id,
            rope,
            tree: None,
            version,
            seq,
            lone_cr,
            language: None,
            max_len,
        };
        doc.reparse(false);
        doc
    }

    /// The language the document is analyzed as right now, if it is. Its tree is missing
    /// when the text is longer than the parse limit.
    pub fn language(&self) -> Option<Language> {
        self.language
    }

    /// The document as it is now, for analysis off the message loop.
    pub fn snapshot(&self, uri: Uri) -> Snapshot {
        Snapshot {
            uri,
            rope: self.rope.clone(),
            language: self.language(),
            tree: self.tree.clone(),
            version: self.version,
            seq: self.seq,
        }
    }

    /// Changes the parse limit (the settings changed), parsing or dropping the tree if the
    /// text now falls on the other side of it.
    pub fn set_max_len(&mut self, max_len: u64) {
        self.max_len = max_len;
        let wants_tree = self.language.is_some() && self.rope.len_bytes() as u64 <= max_len;
        if wants_tree != self.tree.is_some() {
            self.reparse(false);
        }
    }

    /// Applies one notification's changes in order, then re-parses once.
    pub fn apply_changes(
        &mut self,
        version: i32,
        changes: &[TextDocumentContentChangeEvent],
        enc: Encoding,
        seq: u64,
    ) -> Result<(), Rejected> {
        if version < self.version {
            return Err(Rejected::StaleVersion {
                current: self.version,
                got: version,
            });
        }
        self.version = version;
        self.seq = seq;
        if self.language_id == LanguageId::Other {
            return Ok(());
        }
        let mut incremental = self.tree.is_some();
        for change in changes {
            match change.range {
                Some(range) => {
                    let bytes = position::byte_range(&self.rope, range, enc);
                    self.edit(bytes, &change.text);
                }
                None => {
                    self.rope = Rope::from_str(&change.text);
                    self.lone_cr = count_lone_cr(&self.rope, 0, self.rope.len_bytes());
                    self.tree = None;
                    incremental = false;
                }
            }
        }
        self.reparse(incremental);
        Ok(())
    }

    /// Replaces `bytes` (on character boundaries) with `text`, editing the tree to match.
    pub fn edit(&mut self, bytes: std::ops::Range<usize>, text: &str) {
        let (start, old_end) = (bytes.start, bytes.end);
        let new_end = start + text.len();
        let cr_from = start.saturating_sub(1);
        let lone_before = count_lone_cr(&self.rope, cr_from, old_end);
        let start_position = self.point(start);
        let old_end_position = self.point(old_end);
        let start_char = self.rope.byte_to_char(start);
        let old_end_char = self.rope.byte_to_char(old_end);
        self.rope.remove(start_char..old_end_char);
        self.rope.insert(start_char, text);
        self.lone_cr = self.lone_cr + count_lone_cr(&self.rope, cr_from, new_end) - lone_before;
        let new_end_position = self.point(new_end);
        if let Some(tree) = self.tree.as_mut().and_then(Parsed::tree_mut) {
            tree.edit(&InputEdit {
                start_byte: start,
                old_end_byte: old_end,
                new_end_byte: new_end,
                start_position,
                old_end_position,
                new_end_position,
            });
        }
    }

    /// Re-decides whether the document is analyzed and brings the tree up to date.
    fn reparse(&mut self, incremental: bool) {
        self.language = match self.language_id {
            LanguageId::Bicep => Some(Language::Bicep),
            LanguageId::Json if is_template(&self.rope) => Some(Language::Json),
            _ => None,
        };
        let Some(language) = self.language else {
            self.tree = None;
            return;
        };
        if self.rope.len_bytes() as u64 > self.max_len {
            // Without a tree, the parse once the text is short enough again is a full one.
            self.tree = None;
            return;
        }
        let old = if incremental {
            self.tree.as_ref().and_then(Parsed::tree)
        } else {
            None
        };
        self.tree = Some(parse_rope(language, &self.rope, old));
    }

    /// The tree-sitter point (row, byte column; rows break at `\n` only) of a byte offset.
    fn point(&self, byte: usize) -> Point {
        ts_point(&self.rope, byte, self.lone_cr == 0)
    }
}

/// [`is_arm_template`] without copying a large document on every change: `$schema` comes
/// first in practice, and a match in a prefix is a match in the whole text.
fn is_template(rope: &Rope) -> bool {
    const PREFIX: usize = 64 * 1024;
    if rope.len_bytes() > PREFIX {
        let end = rope.byte_to_char(PREFIX);
        if is_arm_template(&rope.slice(..end).to_string()) {
            return true;
        }
    }
    is_arm_template(&text(rope))
}

/// The tree-sitter point of `byte`; `lf_only` says the rope's lines are tree-sitter's rows.
fn ts_point(rope: &Rope, byte: usize, lf_only: bool) -> Point {
    if lf_only {
        let row = rope.byte_to_line(byte);
        return Point::new(row, byte - rope.line_to_byte(row));
    }
    let (mut row, mut row_start) = (0, 0);
    for (i, b) in rope.bytes().take(byte).enumerate() {
        if b == b'\n' {
            row += 1;
            row_start = i + 1;
        }
    }
    Point::new(row, byte - row_start)
}

/// Lone `\r` at positions `from..to` (each decided by the byte after it).
fn count_lone_cr(rope: &Rope, from: usize, to: usize) -> usize {
    let len = rope.len_bytes();
    let to = to.min(len);
    if from >= to {
        return 0;
    }
    let mut count = 0;
    let mut bytes = rope.bytes_at(from).peekable();
    for _ in from..to {
        let Some(b) = bytes.next() else { break };
        if b == b'\r' && bytes.peek() != Some(&b'\n') {
            count += 1;
        }
    }
    count
}

/// The document text as one string (borrowed when the rope is a single chunk).
///
/// The one place analysis materializes text: the analyzer works on `&str`.
pub fn text(rope: &Rope) -> Cow<'_, str> {
    let slice = rope.slice(..);
    match slice.as_str() {
        Some(s) => Cow::Borrowed(s),
        None => {
            // One allocation and a copy per chunk (faster than `to_string`'s formatting).
            let mut s = String::with_capacity(rope.len_bytes());
            for chunk in rope.chunks() {
                s.push_str(chunk);
            }
            Cow::Owned(s)
        }
    }
}

/// Parses the rope chunk by chunk (the analyzer's parser and time budget), incrementally
/// when `old` (already edited) is given.
pub fn parse_rope(language: Language, rope: &Rope, old: Option<&Tree>) -> Parsed {
    let len = rope.len_bytes();
    let mut read = |byte: usize| -> &[u8] {
        if byte >= len {
            return &[];
        }
        let (chunk, chunk_start, _, _) = rope.chunk_at_byte(byte);
        &chunk.as_bytes()[byte - chunk_start..]
    };
    mtlsguard_analyzer::parse_with(language, len, &mut read, old)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use tower_lsp_server::ls_types::{Position, Range};

    /// Every node with its kind, byte range and both points, for exact tree comparison.
    fn dump(tree: &Tree) -> String {
        let mut out = String::new();
        let mut cursor = tree.walk();
        loop {
            let n = cursor.node();
            out.push_str(&format!(
                "{} {:?} {:?} {:?} {}\n",
                n.kind(),
                n.byte_range(),
                n.start_position(),
                n.end_position(),
                n.is_missing()
            ));
            if cursor.goto_first_child() {
                continue;
            }
            while !cursor.goto_next_sibling() {
                if !cursor.goto_parent() {
                    return out;
                }
            }
        }
    }

    fn check_against_fresh(doc: &Doc) {
        let s = doc.rope.to_string();
        let fresh = Doc::open(doc.language_id, &s, doc.version, 0, u64::MAX);
        assert_eq!(doc.lone_cr, fresh.lone_cr, "lone CR count");
        assert_eq!(doc.language(), fresh.language());
        match (&doc.tree, &fresh.tree) {
            (Some(Parsed::Tree(a)), Some(Parsed::Tree(b))) => {
                assert_eq!(
                    dump(a),
                    dump(b),
                    "incremental tree differs from a fresh parse of {s:?}"
                );
                let plain = mtlsguard_analyzer::parse(doc.language().unwrap(), &s, None)
                    .into_tree()
                    .expect("parsed in time");
                assert_eq!(
                    dump(b),
                    dump(&plain),
                    "rope parse differs from a string parse"
                );
            }
            (None, None) | (Some(Parsed::OutOfTime), Some(Parsed::OutOfTime)) => {}
            _ => panic!("tree presence differs"),
        }
    }

    const BICEP: &str = "resource app 'Microsoft.Web/sites@2022-03-01' = {\n  name: 'é中😀'\n  properties: {\r\n    publicNetworkAccess: 'Disabled'\n    clientCertEnabled: false\n  }\n}\n";
    const ARM: &str = "{\n  \"$schema\": \"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#\",\n  \"resources\": [\n    { \"type\": \"Microsoft.Web/sites\", \"apiVersion\": \"2022-03-01\", \"name\": \"a😀\", \"properties\": { \"clientCertEnabled\": false } }\n  ]\n}\n";

    fn change(l1: u32, c1: u32, l2: u32, c2: u32, text: &str) -> TextDocumentContentChangeEvent {
        TextDocumentContentChangeEvent {
            range: Some(Range::new(Position::new(l1, c1), Position::new(l2, c2))),
            range_length: None,
            text: text.into(),
        }
    }

    #[test]
    fn edits_keep_rope_and_tree_in_step() {
        let mut doc = Doc::open(LanguageId::Bicep, BICEP, 1, 1, u64::MAX);
        doc.apply_changes(
            2,
            &[
                change(1, 2, 1, 6, "nom"),
                change(3, 99, 3, 99, "\r\n    x: 1"),
            ],
            Encoding::Utf16,
            2,
        )
        .unwrap();
        assert!(doc.rope.to_string().contains("  nom: 'é中😀'"));
        check_against_fresh(&doc);
        assert_eq!(
            doc.apply_changes(1, &[change(0, 0, 0, 0, "x")], Encoding::Utf16, 3),
            Err(Rejected::StaleVersion { current: 2, got: 1 })
        );
    }

    #[test]
    fn json_is_analyzed_only_with_a_template_schema() {
        let mut doc = Doc::open(LanguageId::Json, ARM, 1, 1, u64::MAX);
        assert_eq!(doc.language(), Some(Language::Json));
        // Break the schema: no longer a template, no tree.
        doc.apply_changes(2, &[change(1, 3, 1, 4, "X")], Encoding::Utf8, 2)
            .unwrap();
        assert_eq!(doc.language(), None);
        doc.apply_changes(3, &[change(1, 3, 1, 4, "$")], Encoding::Utf8, 3)
            .unwrap();
        assert_eq!(doc.language(), Some(Language::Json));
        check_against_fresh(&doc);
        let other = Doc::open(LanguageId::Other, ARM, 1, 1, u64::MAX);
        assert_eq!(other.language(), None);
        assert_eq!(other.rope.len_bytes(), 0);
    }

    #[test]
    fn texts_over_the_limit_are_not_parsed() {
        let big = format!("{BICEP}// {}\n", "x".repeat(100));
        let limit = BICEP.len() as u64 + 10;
        let mut doc = Doc::open(LanguageId::Bicep, &big, 1, 1, limit);
        assert_eq!(doc.language(), Some(Language::Bicep));
        assert!(doc.tree.is_none());
        // Edits while too large, then one that brings the text under the limit.
        let comment = doc.rope.len_lines() as u32 - 2;
        doc.apply_changes(2, &[change(1, 2, 1, 6, "nom")], Encoding::Utf16, 2)
            .unwrap();
        assert!(doc.tree.is_none());
        doc.apply_changes(
            3,
            &[change(comment, 0, comment, 999, "")],
            Encoding::Utf16,
            3,
        )
        .unwrap();
        assert!(doc.tree.is_some());
        check_against_fresh(&doc);
        // The limit follows the settings.
        doc.set_max_len(10);
        assert!(doc.tree.is_none());
        assert_eq!(doc.language(), Some(Language::Bicep));
        doc.set_max_len(u64::MAX);
        check_against_fresh(&doc);
        // A JSON document too large to parse is still decided by its `$schema`.
        let json = Doc::open(LanguageId::Json, ARM, 1, 1, 10);
        assert_eq!(
            (json.language(), json.tree.is_none()),
            (Some(Language::Json), true)
        );
        let not_template = Doc::open(LanguageId::Json, "{}", 1, 1, 1);
        assert_eq!(not_template.language(), None);
    }

    #[test]
    fn lone_carriage_returns_keep_points_exact() {
        let mut doc = Doc::open(
            LanguageId::Bicep,
            "param a string\rparam b int\n",
            1,
            1,
            u64::MAX,
        );
        assert_eq!(doc.lone_cr, 1);
        doc.apply_changes(2, &[change(1, 0, 1, 0, "\n")], Encoding::Utf16, 2)
            .unwrap();
        // `\r` + `\n` joined into one CRLF.
        assert_eq!(doc.lone_cr, 0);
        check_against_fresh(&doc);
        doc.apply_changes(3, &[change(0, 3, 0, 3, "\r\r")], Encoding::Utf16, 3)
            .unwrap();
        check_against_fresh(&doc);
    }

    fn arb_change(max_line: u32) -> impl Strategy<Value = TextDocumentContentChangeEvent> {
        let pieces = prop::sample::select(vec![
            "",
            "a",
            "'",
            "{",
            "}",
            "\n",
            "\r\n",
            "\r",
            "é",
            "😀",
            "中",
            "e\u{301}",
            ": ",
            "\"",
            "[",
            "]",
            ",",
            "//",
            "true",
            "resource x 'Microsoft.Web/sites@2022-03-01' = {\n",
            "properties: {\n",
            "  ",
        ]);
        (
            0..max_line,
            0u32..40,
            0..max_line,
            0u32..40,
            prop::collection::vec(pieces, 0..4),
        )
            .prop_map(|(l1, c1, l2, c2, parts)| {
                let (a, b) = if (l1, c1) <= (l2, c2) {
                    ((l1, c1), (l2, c2))
                } else {
                    ((l2, c2), (l1, c1))
                };
                change(a.0, a.1, b.0, b.1, &parts.concat())
            })
    }

    /// tree-sitter's point of a byte offset: rows break at `\n` only, columns are bytes.
    fn naive_point(text: &str, byte: usize) -> Point {
        let before = &text.as_bytes()[..byte];
        let row = before.iter().filter(|&&b| b == b'\n').count();
        let col = byte
            - before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
        Point::new(row, col)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

        // tree-sitter re-lexes around an edit, so wrong points in `Tree::edit` barely show
        // in the re-parsed tree; check the points themselves.
        #[test]
        fn points_match_tree_sitter_rows_and_byte_columns(
            parts in prop::collection::vec(prop::sample::select(vec!["a", "é", "😀", "\n", "\r\n", "\r", "中", " "]), 0..40),
            picks in prop::collection::vec(any::<prop::sample::Index>(), 1..10),
        ) {
            let text = parts.concat();
            let mut doc = Doc::open(LanguageId::Bicep, &text, 0, 0, u64::MAX);
            doc.tree = None;
            let bounds: Vec<usize> = (0..=text.len()).filter(|&i| text.is_char_boundary(i)).collect();
            for pick in picks {
                let b = bounds[pick.index(bounds.len())];
                prop_assert_eq!(doc.point(b), naive_point(&text, b), "at {} in {:?}", b, text);
            }
        }

        #[test]
        fn random_edits_match_a_fresh_parse(
            json in any::<bool>(),
            utf8 in any::<bool>(),
            batches in prop::collection::vec(prop::collection::vec(arb_change(12), 1..4), 1..12),
        ) {
            let (language_id, text) = if json { (LanguageId::Json, ARM) } else { (LanguageId::Bicep, BICEP) };
            let enc = if utf8 { Encoding::Utf8 } else { Encoding::Utf16 };
            let mut doc = Doc::open(language_id, text, 0, 0, u64::MAX);
            // The same edits applied to a plain string, as a model of the rope.
            let mut model = text.to_owned();
            for (i, batch) in batches.iter().enumerate() {
                for c in batch {
                    let rope = Rope::from_str(&model);
                    let r = position::byte_range(&rope, c.range.unwrap(), enc);
                    model.replace_range(r, &c.text);
                }
                doc.apply_changes(i as i32 + 1, batch, enc, i as u64 + 1).unwrap();
                prop_assert_eq!(doc.rope.to_string(), model.clone());
            }
            check_against_fresh(&doc);
        }
    }
}
