use mtlsguard_analyzer::*;
use std::time::Instant;
fn main() {
    for path in std::env::args().skip(1) {
        let text = std::fs::read_to_string(&path).unwrap();
        let lang = language_for_path(&path).unwrap();
        let t = Instant::now();
        let tree = parse(lang, &text, None)
            .into_tree()
            .expect("parsed in time");
        let parse_t = t.elapsed();
        let t = Instant::now();
        let mut analyzer = Analyzer::new();
        let f = analyzer.analyze(&Document::new(lang, &text, &tree), &Settings::default());
        let an = t.elapsed();
        // one-char edit in the middle
        let mid = text.len() / 2;
        let mid = (mid..)
            .find(|&i| text.is_char_boundary(i) && text.as_bytes()[i] == b' ')
            .unwrap();
        let (t2, edit) = replace(&text, mid..mid, " ");
        let mut old = tree.clone();
        let t = Instant::now();
        old.edit(&edit);
        let nt = parse(lang, &t2, Some(&old))
            .into_tree()
            .expect("parsed in time");
        let inc = t.elapsed();
        let t = Instant::now();
        let f2 = analyzer.analyze(&Document::new(lang, &t2, &nt), &Settings::default());
        let an2 = t.elapsed();
        let stats = analyzer.last_stats();
        println!(
            "{path}: {} bytes, parse {parse_t:?}, analyze {an:?} ({} findings), incr parse {inc:?}, re-analyze {an2:?} ({}), reused/checked {stats:?}",
            text.len(),
            f.len(),
            f2.len()
        );
    }
}
