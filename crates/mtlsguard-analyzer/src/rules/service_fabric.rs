//! `service-fabric-client-cert`: Service Fabric clusters must admit clients by certificate.

use super::RuleCtx;
use crate::Related;
use crate::model::ValueKind;

const LISTS: [&str; 2] = [
    "clientCertificateCommonNames",
    "clientCertificateThumbprints",
];

pub(super) fn check(ctx: &mut RuleCtx<'_, '_>) {
    let props = match ctx.res.body.get("properties") {
        None => None,
        Some(p) => match &p.value.kind {
            ValueKind::Object(o) => Some(o),
            _ => return,
        },
    };
    let mut related = Vec::new();
    for key in LISTS {
        let Some(p) = props.and_then(|o| o.get(key)) else {
            continue;
        };
        let lit = ctx.resolve(&p.value);
        match &lit.value.kind {
            ValueKind::Array(a) if a.is_empty() => {
                related.push(Related {
                    range: p.range.clone(),
                    message: format!("{key} is an empty array"),
                });
            }
            // A non-empty list, or one we cannot decide: compliant as far as we can tell.
            _ => return,
        }
    }
    let msg = if related.is_empty() {
        "clientCertificateCommonNames and clientCertificateThumbprints are missing: set one of them to a non-empty list of client certificates"
    } else {
        "clientCertificateCommonNames and clientCertificateThumbprints are missing or empty: set one of them to a non-empty list of client certificates"
    };
    let range = ctx.res.type_range.clone();
    ctx.push(range, msg.to_owned(), related, None);
}
