//! `service-fabric-client-cert`: Service Fabric clusters must admit clients by certificate.

use super::RuleCtx;
use crate::Related;
use crate::model::ValueKind;

const LISTS: [&str; 2] = [
    "clientCertificateCommonNames",
    "clientCertificateThumbprints",
];

pub(super) fn check(ctx: &mut RuleCtx<'_, '_>) {
    let Some(props) = ctx.properties_if_decidable() else {
        return;
    };
    // A list hidden in text that did not parse may well be non-empty.
    let holder = props.unwrap_or(&ctx.res.body);
    if holder.incomplete && LISTS.iter().any(|k| holder.get(k).is_none()) {
        return;
    }
    let mut related = Vec::new();
    let mut states = Vec::new();
    for key in LISTS {
        let Some(p) = props.and_then(|o| o.get(key)) else {
            states.push((key, "missing"));
            continue;
        };
        let lit = ctx.resolve(&p.value);
        match &lit.value.kind {
            ValueKind::Array(a) if a.is_empty() => {
                states.push((key, "an empty array"));
                related.push(Related {
                    range: p.range.clone(),
                    message: format!("{key} is an empty array"),
                });
                if let Some(via) = lit.via {
                    related.push(Related {
                        range: via,
                        message: format!("the value of {key} is defined here"),
                    });
                }
            }
            // A non-empty list, or one we cannot decide: compliant as far as we can tell.
            _ => return,
        }
    }
    let what = match states.as_slice() {
        [(a, x), (b, y)] if x == y => format!("{a} and {b} are {}", plural(x)),
        _ => states
            .iter()
            .map(|(k, s)| format!("{k} is {s}"))
            .collect::<Vec<_>>()
            .join(" and "),
    };
    let msg =
        format!("{what}: set one of them to a non-empty list to admit clients by certificate");
    let range = ctx.res.type_range.clone();
    ctx.push(range, msg, related, None);
}

fn plural(state: &str) -> &str {
    match state {
        "an empty array" => "empty arrays",
        other => other,
    }
}
