//! Text scanning shared by the parts that read source text directly, and editing a text
//! the way the language server edits its rope.

use std::ops::Range;

/// `text` with `range` replaced by `new`, and the tree-sitter edit describing it (rows
/// and byte columns, as tree-sitter counts them). For the tests, benchmarks and fuzzers
/// that edit a `String` the way the server edits its rope.
#[doc(hidden)]
pub fn replace(text: &str, range: Range<usize>, new: &str) -> (String, tree_sitter::InputEdit) {
    fn point(text: &str, at: usize) -> tree_sitter::Point {
        let before = &text.as_bytes()[..at];
        let row = before.iter().filter(|&&b| b == b'\n').count();
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        tree_sitter::Point {
            row,
            column: at - line_start,
        }
    }
    let mut out = String::with_capacity(text.len() - range.len() + new.len());
    out.push_str(&text[..range.start]);
    out.push_str(new);
    out.push_str(&text[range.end..]);
    let new_end = range.start + new.len();
    let edit = tree_sitter::InputEdit {
        start_byte: range.start,
        old_end_byte: range.end,
        new_end_byte: new_end,
        start_position: point(text, range.start),
        old_end_position: point(text, range.end),
        new_end_position: point(&out, new_end),
    };
    (out, edit)
}

/// The edit that takes back `edit` (see [`replace`]).
#[doc(hidden)]
pub fn undo(edit: &tree_sitter::InputEdit) -> tree_sitter::InputEdit {
    tree_sitter::InputEdit {
        start_byte: edit.start_byte,
        old_end_byte: edit.new_end_byte,
        new_end_byte: edit.old_end_byte,
        start_position: edit.start_position,
        old_end_position: edit.new_end_position,
        new_end_position: edit.old_end_position,
    }
}

/// The line break `text` uses (`\n` when it has none): what a line added to it ends with.
pub(crate) fn line_break(text: &str) -> &'static str {
    match text.find(['\n', '\r']) {
        Some(i) if text[i..].starts_with("\r\n") => "\r\n",
        Some(i) if text.as_bytes()[i] == b'\r' => "\r",
        _ => "\n",
    }
}

/// Where the `//` or `/*` comment starting at `i` ends: at the line break (`\n` or
/// `\r`, as the Bicep grammar and LSP end lines) closing a line comment, after the `*/`
/// of a block comment, or at the end of the text when it is unclosed. `None` when no
/// comment starts at `i`. Both languages share this comment syntax: this is the one
/// comment scanner of the code that reads source text directly.
pub(crate) fn comment_end(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i) != Some(&b'/') {
        return None;
    }
    match b.get(i + 1)? {
        b'/' => Some(
            b[i..]
                .iter()
                .position(|&c| c == b'\n' || c == b'\r')
                .map_or(b.len(), |n| i + n),
        ),
        b'*' => Some(
            b[i + 2..]
                .windows(2)
                .position(|w| w == b"*/")
                .map_or(b.len(), |n| i + 2 + n + 2),
        ),
        _ => None,
    }
}

/// The first offset in `from..limit` that is neither blank nor inside a comment
/// (`limit` when there is none), and whether every comment on the way closed before
/// `limit`.
pub(crate) fn skip_trivia(text: &str, mut from: usize, limit: usize) -> (usize, bool) {
    let b = &text.as_bytes()[..limit.min(text.len())];
    while from < b.len() {
        if b[from].is_ascii_whitespace() {
            from += 1;
        } else if let Some(end) = comment_end(text.as_bytes(), from) {
            if end > b.len() || !closed(b, from, end) {
                return (b.len(), false);
            }
            from = end;
        } else {
            break;
        }
    }
    (from.min(b.len()), true)
}

/// Whether the comment `b[start..end]` (from [`comment_end`]) is closed: a line comment
/// always is; a block comment when it ends with its own `*/`.
fn closed(b: &[u8], start: usize, end: usize) -> bool {
    b[start + 1] == b'/' || end >= start + 4 && b[..end].ends_with(b"*/")
}

/// True when only blanks and comments stand between `from` and `to`.
pub(crate) fn only_trivia(text: &str, from: usize, to: usize) -> bool {
    from <= to && skip_trivia(text, from, to) == (to.min(text.len()), true)
}

/// True when a block comment opens in `segment` and does not close in it.
pub(crate) fn opens_block_comment(segment: &str) -> bool {
    let b = segment.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match comment_end(b, i) {
            Some(end) if !closed(b, i, end) => return true,
            Some(end) => i = end,
            None => i += 1,
        }
    }
    false
}

/// `s` with control characters written as escapes: messages hold one line, and the
/// control characters [`crate::finding::LINE_OF`] and the rules' line markers use never come
/// from the text.
pub(crate) fn sanitize(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_owned();
    }
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{comment_end, only_trivia, opens_block_comment, skip_trivia};

    #[test]
    fn trivia() {
        let t = "  // a\r  /* b */ x /* open";
        assert_eq!(skip_trivia(t, 0, t.len()), (t.find('x').unwrap(), true));
        assert!(only_trivia(t, 0, t.find('x').unwrap()));
        assert!(!only_trivia(t, 0, t.len()));
        // An unclosed block comment is not trivia that ends: nothing is known after it.
        let x = t.find('x').unwrap() + 1;
        assert_eq!(skip_trivia(t, x, t.len()), (t.len(), false));
        assert!(!only_trivia(t, x, t.len()));
        assert!(only_trivia("", 0, 0));
        assert!(opens_block_comment(", /* a"));
        assert!(!opens_block_comment(", /* a */ // b"));
        assert!(!opens_block_comment(""));
    }

    #[test]
    fn comment_ends() {
        let b = b"a // x\nb /* y */ c /* open";
        assert_eq!(comment_end(b, 0), None);
        assert_eq!(
            comment_end(b, 2),
            Some(6),
            "a line comment ends at its newline"
        );
        assert_eq!(comment_end(b, 9), Some(16), "after the */");
        assert_eq!(comment_end(b, 19), Some(b.len()), "unclosed: the end");
        assert_eq!(comment_end(b"/", 0), None);
        assert_eq!(comment_end(b"//", 0), Some(2));
        assert_eq!(comment_end(b"/**/", 0), Some(4));
        assert_eq!(
            comment_end(b"/*/", 0),
            Some(3),
            "`/*/` does not close itself"
        );
    }
}
