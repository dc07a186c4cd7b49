//! Running the analyzer on a document snapshot: on a blocking thread, panics caught, the
//! result cached in the session while the document and the settings stay as they were.

use std::sync::{Arc, Mutex};

use mtlsguard_analyzer::{
    Analyzer, Document, FILE_ERROR, Finding, Level, NOT_ANALYZED, Parsed, SYNTAX_ERROR,
    not_analyzed,
};

use tower_lsp_server::ls_types::MessageType;

use super::documents::{self, Snapshot};
use super::guard::guarded;
use super::session::Session;
use super::settings::Effective;
use super::test_hooks;

/// The findings of a snapshot, from the cache or computed on a blocking thread.
/// `None` when analysis panicked (logged).
pub async fn findings(session: &Arc<Session>, snap: &Snapshot) -> Option<Arc<Vec<Finding>>> {
    let sgen = session.settings_gen();
    if let Some(cached) = session.cached_findings(&snap.uri, snap.seq, sgen) {
        return Some(cached);
    }
    let settings = session.settings_for(&snap.uri);
    let task_snap = snap.clone();
    let analyzer = session.analyzer(&snap.uri);
    let result =
        tokio::task::spawn_blocking(move || analyze(&task_snap, &settings, &analyzer)).await;
    match result {
        Ok(Ok(found)) => {
            let found = Arc::new(found);
            session.cache_findings(&snap.uri, snap.seq, sgen, found.clone());
            Some(found)
        }
        Ok(Err(panic)) => {
            session.log(
                MessageType::ERROR,
                format!(
                    "mtlsguard: analysis of {} (version {}) failed: {panic}",
                    snap.uri.as_str(),
                    snap.version
                ),
            );
            None
        }
        Err(join) => {
            session.log(
                MessageType::ERROR,
                format!("mtlsguard: analysis task failed: {join}"),
            );
            None
        }
    }
}

/// The findings shown for a snapshot (syntax errors only when asked for), computed with
/// the document's incremental [`Analyzer`] (which re-checks only the resources whose syntax
/// changed since its last call; a panic resets it).
///
/// This is the one place the server materializes a document's text for analysis.
pub fn analyze(
    snap: &Snapshot,
    settings: &Effective,
    analyzer: &Mutex<Analyzer>,
) -> Result<Vec<Finding>, String> {
    let Some(language) = snap.language else {
        return Ok(Vec::new());
    };
    if settings.excluded {
        return Ok(Vec::new());
    }
    let len = snap.rope.len_bytes() as u64;
    if len > settings.max_file_size {
        let level = settings.analyzer.level(FILE_ERROR);
        if level == Level::Off {
            return Ok(Vec::new());
        }
        return Ok(vec![Finding {
            rule: FILE_ERROR,
            level,
            message: format!(
                "file is too large to analyze ({len} bytes; the limit is {} bytes, set with max-file-size in mtlsguard.toml)",
                settings.max_file_size
            ),
            range: 0..0,
            related: Vec::new(),
            fix: None,
        }]);
    }
    let mut analyzer = analyzer
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let result = guarded(|| {
        let text = documents::text(&snap.rope);
        test_hooks::panic_if_marked(&text);
        // No parse within the limit: the settings raised it after this snapshot was taken.
        let fresh;
        let parsed = match &snap.tree {
            Some(parsed) => parsed,
            None => {
                fresh = mtlsguard_analyzer::parse(language, &text, None);
                &fresh
            }
        };
        let mut found = match parsed {
            Parsed::Tree(tree) => {
                analyzer.analyze(&Document::new(language, &text, tree), &settings.analyzer)
            }
            Parsed::OutOfTime => not_analyzed(&text, &settings.analyzer),
        };
        hide_syntax_errors(&mut found, settings);
        found
    });
    if result.is_err() {
        // Its cache may be half-updated: start afresh next time.
        *analyzer = Analyzer::new();
    }
    result
}

/// Drops syntax errors unless the settings show them.
pub fn hide_syntax_errors(found: &mut Vec<Finding>, settings: &Effective) {
    if !settings.show_syntax_errors {
        // Hiding "not analyzed" would make a parse that ran out of time a silent pass.
        found.retain(|f| f.rule != SYNTAX_ERROR || f.message == NOT_ANALYZED);
    }
}

#[cfg(test)]
mod tests {
    use mtlsguard_analyzer::{Language, Settings, parse};

    use ropey::Rope;

    use super::*;
    use crate::server::settings::ClientSettings;

    const ARM: &str = "{\"$schema\": \"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#\", \"resources\": [{\"type\": \"Microsoft.Web/sites\", \"apiVersion\": \"2022-03-01\", \"name\": \"api\", \"properties\": {\"publicNetworkAccess\": \"Disabled\", \"clientCertEnabled\": false}}]}";

    fn snapshot(text: &str, tree: Option<Parsed>) -> Snapshot {
        Snapshot {
            uri: "file:///t.json".parse().unwrap(),
            rope: Rope::from_str(text),
            language: Some(Language::Json),
            tree,
            version: 1,
            seq: 1,
        }
    }

    fn rules(snap: &Snapshot, settings: &Effective) -> Vec<(&'static str, String)> {
        analyze(snap, settings, &Mutex::new(Analyzer::new()))
            .unwrap()
            .into_iter()
            .map(|f| (f.rule, f.message))
            .collect()
    }

    #[test]
    fn not_analyzed_is_shown_while_syntax_errors_are_hidden() {
        let settings = ClientSettings::default().over(&Settings::default());
        assert!(!settings.show_syntax_errors);
        // The parser's time budget ran out.
        let out_of_time = snapshot(ARM, Some(Parsed::OutOfTime));
        assert_eq!(
            rules(&out_of_time, &settings),
            [(SYNTAX_ERROR, NOT_ANALYZED.to_owned())]
        );
        // An ordinary syntax error stays hidden.
        let broken = format!("{ARM},");
        let tree = parse(Language::Json, &broken, None);
        let found = rules(&snapshot(&broken, Some(tree)), &settings);
        assert!(found.iter().all(|(r, _)| *r != SYNTAX_ERROR), "{found:?}");
        assert!(!found.is_empty());
    }

    #[test]
    fn without_a_tree() {
        let mut settings = ClientSettings::default().over(&Settings::default());
        settings.max_file_size = ARM.len() as u64 - 1;
        let found = rules(&snapshot(ARM, None), &settings);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, FILE_ERROR);
        assert!(found[0].1.contains("too large"), "{found:?}");
        // Within a limit raised after the snapshot: parsed here.
        settings.max_file_size = ARM.len() as u64;
        let found = rules(&snapshot(ARM, None), &settings);
        assert!(!found.is_empty());
        assert!(
            found.iter().all(|(r, _)| *r == "app-service-client-cert"),
            "{found:?}"
        );
    }
}
