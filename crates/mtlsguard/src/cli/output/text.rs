//! `text`: rustc/ruff-like, each finding with its source lines and the range underlined.

use std::fmt::Write as _;

use annotate_snippets::{Level as SnippetLevel, Renderer, Snippet};
use anstyle::{AnsiColor, Style};
use mtlsguard_analyzer::Level;

use super::super::process::{Options, Report, Source};
use super::{applicable, pos};

fn level_color(level: Level) -> AnsiColor {
    match level {
        Level::Error => AnsiColor::Red,
        Level::Warning => AnsiColor::Yellow,
        Level::Info | Level::Off => AnsiColor::Cyan,
    }
}

fn snippet_level(level: Level) -> SnippetLevel {
    match level {
        Level::Error => SnippetLevel::Error,
        Level::Warning => SnippetLevel::Warning,
        Level::Info | Level::Off => SnippetLevel::Info,
    }
}

/// The whole lines `range` touches (without the final line break), the 1-based number of
/// the first one, and `range` relative to them. A range over more than `MAX_LINES` lines
/// is cut to its first line.
fn lines_around(
    src: &Source,
    range: &std::ops::Range<usize>,
) -> (usize, std::ops::Range<usize>, std::ops::Range<usize>) {
    const MAX_LINES: usize = 6;
    let text = &src.text;
    let first = src.index.line(range.start.min(text.len()));
    let mut last = src.index.line(range.end.min(text.len()));
    let mut end = range.end.min(text.len());
    if last - first >= MAX_LINES {
        last = first;
        end = line_end(src, first);
    }
    let start = src.index.line_start(first);
    let stop = line_end(src, last).max(end);
    (first + 1, start..stop, range.start - start..end - start)
}

/// The offset where line `line` (0-based) ends, before its line break.
fn line_end(src: &Source, line: usize) -> usize {
    let text = &src.text;
    let next = if line + 1 < src.index.line_count() {
        src.index.line_start(line + 1)
    } else {
        text.len()
    };
    let mut end = next;
    while end > src.index.line_start(line) && matches!(text.as_bytes()[end - 1], b'\n' | b'\r') {
        end -= 1;
    }
    end
}

/// ruff-like text: `path:line:col: rule-id [*] message`, the source with the range
/// underlined, related locations, the fix, then a summary.
pub fn text(reports: &[Report], opts: &Options, files_checked: usize) -> String {
    let renderer = Renderer::styled();
    let info_renderer = Renderer::styled().warning(
        Style::new()
            .fg_color(Some(level_color(Level::Info).into()))
            .bold(),
    );
    let bold = Style::new().bold();
    let fix_style = Style::new().fg_color(Some(AnsiColor::Cyan.into())).bold();
    let mut out = String::new();
    let mut fixable = 0;
    let mut unsafe_only = 0;
    for r in reports {
        let src = r.source.as_ref();
        for f in &r.findings {
            let marker = applicable(f, opts.unsafe_fixes);
            if marker {
                fixable += 1;
            } else if f.fix.is_some() {
                unsafe_only += 1;
            }
            let (line, col) = pos(src, f.range.start);
            let rule_style = Style::new()
                .fg_color(Some(level_color(f.level).into()))
                .bold();
            let _ = write!(
                out,
                "{bold}{}:{line}:{col}:{bold:#} {rule_style}{}{rule_style:#} ",
                r.display, f.rule
            );
            if marker {
                let _ = write!(out, "{fix_style}[*]{fix_style:#} ");
            }
            let _ = writeln!(out, "{}", f.message);
            let Some(src) = src else {
                out.push('\n');
                continue;
            };
            let (first_line, window, span) = lines_around(src, &f.range);
            // The label names the level. annotate-snippets prefixes an info annotation's
            // label with "info: " (so "info: info"); an info finding is drawn as a warning
            // in info's color instead, which underlines the same way without a prefix.
            let (level, renderer) = match f.level {
                Level::Info | Level::Off => (SnippetLevel::Warning, &info_renderer),
                other => (snippet_level(other), &renderer),
            };
            let annotation = level.span(span).label(f.level.as_str());
            let mut message = level.title("").snippet(
                Snippet::source(&src.text[window.clone()])
                    .line_start(first_line)
                    .annotation(annotation),
            );
            for rel in &f.related {
                let (Some(rel_src), origin) = r.related_in(rel) else {
                    continue;
                };
                let (l, w, s) = lines_around(rel_src, &rel.range);
                message = message.snippet(
                    Snippet::source(&rel_src.text[w])
                        .line_start(l)
                        .origin(origin)
                        .annotation(SnippetLevel::Note.span(s).label(&rel.message)),
                );
            }
            let help;
            if let Some(fix) = &f.fix {
                help = if fix.safe || opts.unsafe_fixes {
                    fix.title.clone()
                } else {
                    format!("{} (unsafe: needs --unsafe-fixes)", fix.title)
                };
                message = message.footer(SnippetLevel::Help.title(&help));
            }
            let rendered = renderer.render(message).to_string();
            // Drop annotate-snippets' own title line: our header above replaces it.
            let body = rendered.split_once('\n').map_or("", |(_, rest)| rest);
            out.push_str(body);
            out.push_str("\n\n");
        }
    }
    if !opts.quiet {
        out.push_str(&super::super::summary::summary(
            reports,
            opts,
            files_checked,
            fixable,
            unsafe_only,
        ));
    }
    out
}
