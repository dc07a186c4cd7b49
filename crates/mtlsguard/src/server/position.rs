//! LSP positions <-> byte offsets on a rope, in the negotiated encoding.
//!
//! Lines follow LSP: `\n`, `\r\n` and a lone `\r` end a line (ropey is built with
//! `cr_lines` and without `unicode_lines`). Every conversion clamps: a column past the end
//! of its line lands on the line end (before its line break), a line past the end of the
//! document lands on the document end, and a column inside a character (the second half of
//! a surrogate pair, the middle of a UTF-8 sequence) lands on that character's start.

use ropey::Rope;
use tower_lsp_server::ls_types::{Position, PositionEncodingKind, Range};

/// How `Position::character` counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encoding {
    Utf8,
    /// The LSP default.
    #[default]
    Utf16,
}

impl Encoding {
    /// UTF-8 when the client offers it, else UTF-16 (which every client must support).
    pub fn negotiate(offered: Option<&[PositionEncodingKind]>) -> Encoding {
        match offered {
            Some(kinds) if kinds.contains(&PositionEncodingKind::UTF8) => Encoding::Utf8,
            _ => Encoding::Utf16,
        }
    }

    pub fn kind(self) -> PositionEncodingKind {
        match self {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            Encoding::Utf16 => PositionEncodingKind::UTF16,
        }
    }
}

/// Byte offset of the end of `line`'s content, before its line break.
fn line_end(rope: &Rope, line: usize) -> usize {
    let start = rope.line_to_byte(line);
    let mut end = start + rope.line(line).len_bytes();
    if end > start && rope.byte(end - 1) == b'\n' {
        end -= 1;
    }
    if end > start && rope.byte(end - 1) == b'\r' {
        end -= 1;
    }
    end
}

/// Rounds a byte offset down to a character boundary.
fn floor_boundary(rope: &Rope, byte: usize) -> usize {
    let byte = byte.min(rope.len_bytes());
    rope.char_to_byte(rope.byte_to_char(byte))
}

/// The byte offset of an LSP position (clamped, never panics).
pub fn offset(rope: &Rope, pos: Position, enc: Encoding) -> usize {
    let line = pos.line as usize;
    if line >= rope.len_lines() {
        return rope.len_bytes();
    }
    let line_start = rope.line_to_byte(line);
    let line_end = line_end(rope, line);
    match enc {
        Encoding::Utf8 => {
            let target = line_start
                .saturating_add(pos.character as usize)
                .min(line_end);
            floor_boundary(rope, target)
        }
        Encoding::Utf16 => {
            let start_cu = rope.char_to_utf16_cu(rope.line_to_char(line));
            let end_cu = rope.char_to_utf16_cu(rope.byte_to_char(line_end));
            let target = start_cu.saturating_add(pos.character as usize).min(end_cu);
            // `utf16_cu_to_char` maps the middle of a surrogate pair to its character.
            rope.char_to_byte(rope.utf16_cu_to_char(target))
        }
    }
}

/// The LSP position of a byte offset (clamped to the document, rounded down to a character).
pub fn position(rope: &Rope, byte: usize, enc: Encoding) -> Position {
    let byte = floor_boundary(rope, byte);
    let line = rope.byte_to_line(byte);
    let character = match enc {
        Encoding::Utf8 => byte - rope.line_to_byte(line),
        Encoding::Utf16 => {
            rope.char_to_utf16_cu(rope.byte_to_char(byte))
                - rope.char_to_utf16_cu(rope.line_to_char(line))
        }
    };
    Position::new(line as u32, character as u32)
}

pub fn range(rope: &Rope, bytes: std::ops::Range<usize>, enc: Encoding) -> Range {
    Range::new(
        position(rope, bytes.start, enc),
        position(rope, bytes.end, enc),
    )
}

/// Byte range of an LSP range; a reversed range is made empty at its start.
pub fn byte_range(rope: &Rope, r: Range, enc: Encoding) -> std::ops::Range<usize> {
    let start = offset(rope, r.start, enc);
    let end = offset(rope, r.end, enc).max(start);
    start..end
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(line: u32, character: u32) -> Position {
        Position::new(line, character)
    }

    #[test]
    fn columns_in_both_encodings() {
        // é is 2 bytes / 1 unit, 中 3 bytes / 1 unit, 😀 4 bytes / 2 units, e + U+0301 is 3 bytes / 2 units.
        let text = "aé中😀e\u{301}x\r\nsecond\rthird\nlast";
        let rope = Rope::from_str(text);
        let x = text.find('x').unwrap();
        assert_eq!(position(&rope, x, Encoding::Utf8), p(0, x as u32));
        assert_eq!(position(&rope, x, Encoding::Utf16), p(0, 1 + 1 + 1 + 2 + 2));
        assert_eq!(offset(&rope, p(0, 7), Encoding::Utf16), x);
        assert_eq!(offset(&rope, p(0, x as u32), Encoding::Utf8), x);
        // Lines: CRLF, lone CR, LF.
        assert_eq!(
            offset(&rope, p(1, 0), Encoding::Utf16),
            text.find("second").unwrap()
        );
        assert_eq!(
            offset(&rope, p(2, 0), Encoding::Utf16),
            text.find("third").unwrap()
        );
        assert_eq!(
            offset(&rope, p(3, 2), Encoding::Utf8),
            text.find("last").unwrap() + 2
        );
        assert_eq!(
            position(&rope, text.find("third").unwrap(), Encoding::Utf16),
            p(2, 0)
        );
    }

    #[test]
    fn clamps() {
        let text = "ab😀\r\ncd";
        let rope = Rope::from_str(text);
        // Past the line end: before the CRLF.
        assert_eq!(offset(&rope, p(0, 99), Encoding::Utf16), 6);
        assert_eq!(offset(&rope, p(0, 99), Encoding::Utf8), 6);
        // Inside the emoji: its start.
        assert_eq!(offset(&rope, p(0, 3), Encoding::Utf16), 2);
        assert_eq!(offset(&rope, p(0, 4), Encoding::Utf8), 2);
        // Past the document.
        assert_eq!(offset(&rope, p(9, 0), Encoding::Utf16), text.len());
        assert_eq!(
            offset(&rope, p(u32::MAX, u32::MAX), Encoding::Utf8),
            text.len()
        );
        assert_eq!(offset(&rope, p(1, u32::MAX), Encoding::Utf16), text.len());
        assert_eq!(position(&rope, 999, Encoding::Utf16), p(1, 2));
        assert_eq!(position(&rope, 3, Encoding::Utf8), p(0, 2));
        let empty = Rope::new();
        assert_eq!(offset(&empty, p(3, 3), Encoding::Utf16), 0);
        assert_eq!(position(&empty, 5, Encoding::Utf16), p(0, 0));
    }

    #[test]
    fn unicode_line_separators_are_not_line_breaks() {
        let text = "a\u{2028}b\u{85}c\nd";
        let rope = Rope::from_str(text);
        assert_eq!(rope.len_lines(), 2);
        assert_eq!(offset(&rope, p(1, 0), Encoding::Utf16), text.len() - 1);
    }
}
