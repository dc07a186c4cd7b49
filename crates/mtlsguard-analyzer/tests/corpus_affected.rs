//! Over the real modules of `../shared/corpus` (skipped with a notice when absent): what
//! the language server analyzes after an edit, [`Workspace::affected`], gives every file
//! in it the findings the analysis of all its connected files gives it. In
//! `Azure+bicep-registry-modules` a module shared by the tests links over a thousand files,
//! of which an edit to one module affects a few dozen.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mtlsguard_analyzer::{Settings, Workspace, language_for_path};

fn walk(dir: &Path, out: &mut Vec<String>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out);
        } else if language_for_path(&p.to_string_lossy()).is_some() {
            out.push(p.to_string_lossy().into_owned());
        }
    }
}

#[test]
fn affected_sets_agree_with_whole_components() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/Azure+bicep-registry-modules");
    if !dir.is_dir() {
        println!("NOTICE: ../shared/corpus is absent; corpus_affected test skipped");
        return;
    }
    let mut files = Vec::new();
    walk(&dir, &mut files);
    let mut ws = Workspace::new("/nonexistent-cache");
    for f in &files {
        if let Ok(text) = std::fs::read_to_string(f) {
            ws.set_file(f, text);
        }
    }
    let settings = |_: &str| Settings::default();
    let linked: Vec<String> = ws.linked().into_iter().collect();
    let mut whole = BTreeMap::new();
    let mut largest = 0;
    for group in ws.components(&linked) {
        largest = largest.max(group.len());
        whole.extend(ws.analyze_files(&group, &settings).findings);
    }
    let site = dir
        .join("avm/res/web/site/main.bicep")
        .to_string_lossy()
        .into_owned();
    let site_affected = ws.affected(std::slice::from_ref(&site)).len();
    assert!(
        site_affected > 12 && site_affected * 10 < ws.connected(&site).len(),
        "web/site affects {site_affected} of {} connected files",
        ws.connected(&site).len()
    );
    // Every 7th linked file as the one edited: about 330 of them.
    let (mut seeds, mut checked) = (0, 0);
    for seed in linked.iter().step_by(7) {
        seeds += 1;
        let set = ws.affected(std::slice::from_ref(seed));
        assert!(set.contains(seed), "{seed}");
        for (path, findings) in ws.analyze_files(&set, &settings).findings {
            checked += 1;
            assert_eq!(
                whole.get(&path),
                Some(&findings),
                "{path}, analyzed as affected by an edit of {seed}"
            );
        }
    }
    println!(
        "{} files, {} linked, largest group {largest}; web/site affects {site_affected}; {seeds} edited files, {checked} results compared",
        files.len(),
        linked.len()
    );
}
