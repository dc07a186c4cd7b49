//! `service-fabric-client-cert`: Service Fabric clusters must admit clients by certificate.

use super::RuleCtx;
use crate::Related;
use crate::eval::Kind;

const LISTS: [&str; 2] = [
    "clientCertificateCommonNames",
    "clientCertificateThumbprints",
];

pub(super) fn check(ctx: &mut RuleCtx<'_, '_>) {
    let Some(props) = ctx.need_properties() else {
        return;
    };
    let mut related = Vec::new();
    let mut states = Vec::new();
    for key in LISTS {
        // A list we cannot see may well be non-empty.
        let Some(field) = ctx.need_in(props.as_ref(), key) else {
            return;
        };
        let Some(f) = field else {
            // Set to `null`, often through a definition (`!empty(names) ? names : null`):
            // the definitions explain it.
            if let Some(props) = &props
                && let super::Got::Value(null) = ctx.get(props, key)
            {
                states.push((key, "null"));
                related.extend(ctx.related_of(&null));
            } else {
                states.push((key, "missing"));
            }
            continue;
        };
        match &f.val.kind {
            Kind::Array(a) if a.is_empty() => {
                states.push((key, "an empty array"));
                related.push(Related {
                    file: None,
                    range: f.at.clone(),
                    message: format!("{key} is an empty array"),
                });
                for s in f.val.via.iter() {
                    related.push(Related {
                        file: None,
                        range: s.range.clone(),
                        message: format!("the value of {key} comes from {} {}", s.what, s.name),
                    });
                }
            }
            Kind::Unknown(w) => return ctx.undecided(w.clone()),
            // A non-empty list, or one we cannot judge: compliant as far as we can tell.
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
