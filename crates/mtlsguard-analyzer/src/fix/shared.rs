//! Whether a fix that edits definitions is safe: only when nothing else in the file uses
//! them (spec section 7: "not safe when other resources ... share the definition").
//!
//! Decided when the findings are final, from the whole file: a cached finding's fix
//! must turn unsafe when another resource starts using its definition, and that resource
//! is not re-checked. The count walks the file only when some fix needs it.

use std::collections::HashMap;

use tree_sitter::Node;

use crate::Finding;
use crate::syntax::{Document, Language};

/// Sets `safe` on every fix whose definitions are shared (or cannot be counted).
pub(crate) fn decide(doc: &Document<'_>, findings: &mut [Finding]) {
    if findings
        .iter()
        .all(|f| f.fix.as_ref().is_none_or(|x| x.unless_shared.is_empty()))
    {
        return;
    }
    let uses = uses(doc);
    for fix in findings.iter_mut().filter_map(|f| f.fix.as_mut()) {
        if fix.unless_shared.is_empty() {
            continue;
        }
        let single = fix.unless_shared.iter().all(|(what, name)| {
            let key = (kind_of(what), fold(doc.language, name));
            uses.as_ref().is_some_and(|u| u.get(&key) == Some(&1))
        });
        fix.safe &= single;
        fix.unless_shared.clear();
    }
}

/// `param`/`parameter` and `var`/`variable` share a name space per kind in ARM; Bicep
/// names are one name space, so both kinds count every identifier.
fn kind_of(what: &str) -> u8 {
    match what {
        "parameter" => 1,
        "variable" => 2,
        _ => 0,
    }
}

fn fold(language: Language, name: &str) -> String {
    match language {
        // ARM names are case-insensitive.
        Language::Json => name.to_ascii_lowercase(),
        Language::Bicep => name.to_owned(),
    }
}

/// How often each name is used; `None` when the file names definitions in ways that
/// cannot be counted (`parameters(variables('x'))`).
fn uses(doc: &Document<'_>) -> Option<HashMap<(u8, String), usize>> {
    match doc.language {
        Language::Bicep => Some(bicep_uses(doc)),
        Language::Json => arm_uses(doc.text),
    }
}

/// Identifiers used as names: not a declaration's own name, not an object key.
fn bicep_uses(doc: &Document<'_>) -> HashMap<(u8, String), usize> {
    let mut out = HashMap::new();
    crate::syntax::walk(doc.tree.root_node(), |cursor, _| {
        let n = cursor.node();
        if n.kind() == "identifier" && is_use(n) {
            let name = doc.text.get(n.byte_range()).unwrap_or("").to_owned();
            *out.entry((0, name)).or_insert(0) += 1;
        }
        crate::syntax::Visit::Into
    });
    out
}

fn is_use(n: Node<'_>) -> bool {
    let Some(parent) = n.parent() else {
        return false;
    };
    let first_named = parent.named_child(0).is_some_and(|c| c.id() == n.id());
    let declares = parent.kind().ends_with("_declaration")
        || matches!(parent.kind(), "object_property" | "user_defined_function");
    !(declares && first_named)
}

/// `parameters('x')` and `variables('x')` anywhere in the text (case-insensitive, spaces
/// allowed): ARM names its definitions only so.
fn arm_uses(text: &str) -> Option<HashMap<(u8, String), usize>> {
    let mut out = HashMap::new();
    let lower = text.to_ascii_lowercase();
    for (func, kind) in [("parameters", 1u8), ("variables", 2u8)] {
        let mut from = 0;
        while let Some(i) = lower[from..].find(func) {
            let at = from + i + func.len();
            from = at;
            let rest = lower[at..].trim_start();
            let Some(rest) = rest.strip_prefix('(') else {
                continue;
            };
            let rest = rest.trim_start();
            let Some(rest) = rest.strip_prefix('\'') else {
                // A computed name could be any of them.
                return None;
            };
            let name: String = rest.chars().take_while(|c| *c != '\'').collect();
            *out.entry((kind, name)).or_insert(0) += 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse;

    fn bicep(text: &str) -> HashMap<(u8, String), usize> {
        let tree = parse(Language::Bicep, text, None).into_tree().unwrap();
        bicep_uses(&Document::new(Language::Bicep, text, &tree))
    }

    #[test]
    fn counts_uses_not_declarations_or_keys() {
        let u = bicep("param mode string = 'x'\nvar v = { mode: mode }\nvar w = v.mode\n");
        assert_eq!(u.get(&(0, "mode".into())), Some(&1));
        assert_eq!(u.get(&(0, "v".into())), Some(&1));
        assert_eq!(u.get(&(0, "w".into())), None);
        let a =
            arm_uses("\"[parameters('Mode')]\", \"[if(parameters( 'mode' ), variables('v'), 1)]\"")
                .unwrap();
        assert_eq!(a.get(&(1, "mode".into())), Some(&2));
        assert_eq!(a.get(&(2, "v".into())), Some(&1));
        assert!(arm_uses("\"[parameters(variables('n'))]\"").is_none());
    }
}
