/// Byte offsets to line/column, for callers that hold the whole text.
#[derive(Debug, Clone)]
pub struct LineIndex {
    /// Byte offset where each line starts. `\r\n`, `\n` and a lone `\r` all end a line.
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let b = text.as_bytes();
        let mut starts = vec![0];
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'\n' => starts.push(i + 1),
                b'\r' if b.get(i + 1) != Some(&b'\n') => starts.push(i + 1),
                _ => {}
            }
            i += 1;
        }
        LineIndex { starts }
    }

    /// 0-based line of a byte offset.
    pub fn line(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset) - 1
    }

    pub fn line_start(&self, line: usize) -> usize {
        self.starts[line.min(self.starts.len() - 1)]
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// 0-based (line, column in Unicode scalar values) of a byte offset.
    pub fn line_col(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let line = self.line(offset);
        let start = self.starts[line].min(offset);
        (line, text[start..offset].chars().count())
    }

    /// 0-based (line, column in UTF-16 code units) of a byte offset.
    pub fn line_col_utf16(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let line = self.line(offset);
        let start = self.starts[line].min(offset);
        (line, text[start..offset].encode_utf16().count())
    }
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lf_crlf_and_lone_cr_all_end_lines() {
        let text = "a\r\nb\rc\nd";
        let index = LineIndex::new(text);
        assert_eq!(index.line_count(), 4);
        assert_eq!(
            (0..4).map(|l| index.line_start(l)).collect::<Vec<_>>(),
            [0, 3, 5, 7]
        );
        // The line break belongs to the line it ends; CRLF is one break, not two.
        assert_eq!(index.line(1), 0); // '\r' of CRLF
        assert_eq!(index.line(2), 0); // '\n' of CRLF
        assert_eq!(index.line(3), 1); // 'b'
        assert_eq!(index.line(4), 1); // lone '\r'
        assert_eq!(index.line(5), 2); // 'c'
        assert_eq!(index.line(7), 3); // 'd'
        assert_eq!(index.line_col(text, 8), (3, 1)); // end of text
    }

    #[test]
    fn empty_text_and_trailing_break() {
        assert_eq!(LineIndex::new("").line_count(), 1);
        let index = LineIndex::new("x\n");
        assert_eq!(index.line_count(), 2);
        assert_eq!(index.line_col("x\n", 2), (1, 0));
        // A CR at the very end is a line break too.
        assert_eq!(LineIndex::new("x\r").line_count(), 2);
        // Out-of-range lines clamp to the last one.
        assert_eq!(index.line_start(99), 2);
    }

    #[test]
    fn columns_count_chars_or_utf16_units() {
        // é is 2 bytes / 1 UTF-16 unit; 𝄞 is 4 bytes / 2 UTF-16 units (a surrogate pair).
        let text = "ab\r\né𝄞x";
        let index = LineIndex::new(text);
        let x = text.find('x').unwrap();
        assert_eq!(x, 4 + 2 + 4);
        assert_eq!(index.line_col(text, x), (1, 2));
        assert_eq!(index.line_col_utf16(text, x), (1, 3));
        // Offsets inside a character snap back to its start; past the end, to the end.
        assert_eq!(index.line_col_utf16(text, x - 1), (1, 1));
        assert_eq!(index.line_col_utf16(text, 1000), (1, 4));
        // A BOM is one UTF-16 unit like any other character.
        let bom = "\u{feff}{}";
        assert_eq!(LineIndex::new(bom).line_col_utf16(bom, 3), (0, 1));
    }
}
