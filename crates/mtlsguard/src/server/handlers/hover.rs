//! `textDocument/hover`: on a finding, its rule's page cut down to what a hover has room
//! for (the summary, why it matters, the fix, how to suppress it). Built from the page
//! embedded in the binary, so it works offline and always matches the running rules.

use std::sync::Arc;

use mtlsguard_analyzer::{RuleMeta, rule};
use tower_lsp_server::jsonrpc;
use tower_lsp_server::ls_types::{Hover, HoverContents, HoverParams, MarkupContent, MarkupKind};

use crate::server::position;
use crate::server::session::Session;

pub async fn hover(session: &Arc<Session>, params: HoverParams) -> jsonrpc::Result<Option<Hover>> {
    let caps = session.caps();
    let at = params.text_document_position_params;
    let uri = at.text_document.uri;
    let Some((snap, findings, _)) = super::open_findings(session, &uri, "hover").await else {
        return Ok(None);
    };
    let offset = position::offset(&snap.rope, at.position, caps.encoding);
    // Both ends count: a cursor just after the last character is still "on" it, and a
    // file-level finding has an empty range.
    let here: Vec<_> = findings
        .iter()
        .filter(|f| f.range.start <= offset && offset <= f.range.end)
        .collect();
    let Some(first) = here.first() else {
        return Ok(None);
    };
    // One section per rule: two findings of one rule under the cursor share their page.
    let mut rules: Vec<&'static RuleMeta> = Vec::new();
    for f in &here {
        if let Some(meta) = rule(f.rule)
            && !rules.iter().any(|r| r.id == meta.id)
        {
            rules.push(meta);
        }
    }
    if rules.is_empty() {
        return Ok(None);
    }
    let markdown = caps.hover_markdown;
    let separator = if markdown { "\n\n---\n\n" } else { "\n\n" };
    let value = rules
        .iter()
        .map(|r| rule_hover(r, markdown))
        .collect::<Vec<_>>()
        .join(separator);
    Ok(Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: if markdown {
                MarkupKind::Markdown
            } else {
                MarkupKind::PlainText
            },
            value,
        }),
        range: Some(position::range(
            &snap.rope,
            first.range.clone(),
            caps.encoding,
        )),
    }))
}

/// The `## ` sections of a rule page, in order: (heading, body). Lines inside code
/// fences are body, whatever they start with (a TOML comment is not a heading).
fn sections(docs: &str) -> Vec<(&str, String)> {
    let mut out: Vec<(&str, String)> = Vec::new();
    let mut in_fence = false;
    for line in docs.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
        }
        if !in_fence && let Some(heading) = line.strip_prefix("## ") {
            out.push((heading.trim(), String::new()));
            continue;
        }
        if let Some((_, body)) = out.last_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    out
}

/// A rule's hover: its id and summary, then the sections that say why, how to fix and how
/// to suppress (a pseudo-rule may lack some), in Markdown or plain text.
pub fn rule_hover(meta: &RuleMeta, markdown: bool) -> String {
    let wanted = ["Why is this an issue?", "How to fix", "How to suppress"];
    let mut out = format!("### {}\n\n{}", meta.id, meta.summary);
    for (heading, body) in sections(meta.docs) {
        // "How to fix" is "How to fix it" on some pages.
        if wanted.iter().any(|w| heading.starts_with(w)) {
            out.push_str(&format!("\n\n#### {heading}\n\n{}", body.trim()));
        }
    }
    if markdown { out } else { plain(&out) }
}

/// Markdown as plain text: heading marks, code fences and emphasis dropped, code kept as
/// written (a plain-text hover shows every character literally).
fn plain(markdown: &str) -> String {
    let mut out = String::new();
    let mut in_fence = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        let text = if in_fence {
            line.to_owned()
        } else {
            let trimmed = line.trim_start_matches('#');
            let line = if trimmed.len() < line.len() {
                trimmed.trim_start()
            } else {
                line
            };
            line.replace("**", "").replace('`', "")
        };
        out.push_str(&text);
        out.push('\n');
    }
    out.truncate(out.trim_end().len());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use mtlsguard_analyzer::RULES;

    #[test]
    fn every_rule_has_its_reasons_and_fix() {
        for r in RULES {
            let md = rule_hover(r, true);
            assert!(md.starts_with(&format!("### {}\n\n{}", r.id, r.summary)));
            assert!(md.contains("#### Why is this an issue?"), "{}", r.id);
            assert!(md.contains("#### How to fix"), "{}", r.id);
            // Never the long parts of the page.
            assert!(!md.contains("Noncompliant code example"), "{}", r.id);
            let text = rule_hover(r, false);
            assert!(!text.lines().any(|l| l.starts_with("##")), "{text}");
            assert!(!text.contains('`'), "{text}");
        }
    }

    #[test]
    fn fenced_lines_are_not_headings() {
        let docs = "# r\n\n## How to fix\n\n```toml\n## not a heading\n```\n\n## Options\n\nx\n";
        let s = sections(docs);
        assert_eq!(s.len(), 2);
        assert!(s[0].1.contains("## not a heading"));
    }
}
