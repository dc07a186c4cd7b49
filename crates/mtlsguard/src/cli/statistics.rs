//! `check --statistics`: per rule, what the analysis could and could not decide, so that
//! "no finding" reads as "compliant" or as "could not tell". Counted from the outcomes
//! the analysis already returns: no extra pass over the files.

use std::collections::BTreeMap;
use std::fmt::Write;

use mtlsguard_analyzer::{Outcome, RULES};

#[derive(Default)]
struct Counts {
    seen: usize,
    out_of_scope: usize,
    decided: usize,
    undecided: usize,
    reasons: BTreeMap<String, usize>,
}

/// The table for the outcomes of every analyzed file.
pub fn render<'r>(files: impl Iterator<Item = &'r [(&'static str, Outcome)]>) -> String {
    let mut by_rule: BTreeMap<&str, Counts> = BTreeMap::new();
    for outcomes in files {
        for (rule, outcome) in outcomes {
            let c = by_rule.entry(rule).or_default();
            c.seen += 1;
            match outcome {
                Outcome::OutOfScope => c.out_of_scope += 1,
                Outcome::Decided => c.decided += 1,
                Outcome::Undecided(why) => {
                    c.undecided += 1;
                    *c.reasons.entry(why.to_string()).or_default() += 1;
                }
            }
        }
    }
    let mut out = String::new();
    let width = RULES.iter().map(|r| r.id.len()).max().unwrap_or(4);
    let _ = writeln!(
        out,
        "{:width$}  {:>6}  {:>12}  {:>8}  {:>9}",
        "rule", "seen", "out of scope", "decided", "undecided"
    );
    // Every resource rule, in the registry's order, even with nothing seen.
    for meta in RULES.iter().filter(|r| !r.resource_types.is_empty()) {
        let c = by_rule.remove(meta.id).unwrap_or_default();
        let _ = writeln!(
            out,
            "{:width$}  {:>6}  {:>12}  {:>8}  {:>9}",
            meta.id, c.seen, c.out_of_scope, c.decided, c.undecided
        );
        let mut reasons: Vec<_> = c.reasons.into_iter().collect();
        reasons.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        for (why, n) in reasons {
            let _ = writeln!(out, "  {n:>6} undecided: {why}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use mtlsguard_analyzer::Why;

    #[test]
    fn counts_and_reasons() {
        let a = [
            ("apim-client-cert", Outcome::Decided),
            ("apim-client-cert", Outcome::Undecided(Why::NoDefault)),
            ("apim-client-cert", Outcome::Undecided(Why::NoDefault)),
            ("app-service-client-cert", Outcome::OutOfScope),
        ];
        let b = [("apim-client-cert", Outcome::Undecided(Why::Limit))];
        let table = render([&a[..], &b[..]].into_iter());
        let apim = table.lines().find(|l| l.starts_with("apim")).unwrap();
        let cols: Vec<&str> = apim.split_whitespace().collect();
        assert_eq!(cols[1..], ["4", "0", "1", "3"]);
        assert!(table.contains("       2 undecided: value from a param without default\n"));
        assert!(table.contains("       1 undecided: a self-reference or an evaluation limit\n"));
        let site = table
            .lines()
            .find(|l| l.starts_with("app-service"))
            .unwrap();
        assert_eq!(
            site.split_whitespace().collect::<Vec<_>>()[1..],
            ["1", "1", "0", "0"]
        );
    }
}
