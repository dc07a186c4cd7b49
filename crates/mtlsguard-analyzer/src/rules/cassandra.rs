//! `cassandra-client-cert`: managed Cassandra clusters must list client certificates.

use super::RuleCtx;
use crate::model::ValueKind;

pub(super) fn check(ctx: &mut RuleCtx<'_, '_>) {
    let Some(props) = ctx.properties_if_decidable() else {
        return;
    };
    match props.and_then(|o| o.get("clientCertificates")) {
        Some(p) => {
            let lit = ctx.resolve(&p.value);
            if matches!(&lit.value.kind, ValueKind::Array(a) if a.is_empty()) {
                let msg =
                    "clientCertificates is an empty array: list at least one client certificate"
                        .to_owned();
                ctx.bad_value(p, &lit, msg, None);
            }
        }
        None => ctx.missing(
            &["properties", "clientCertificates"],
            "clientCertificates is missing: list at least one client certificate".to_owned(),
            None,
        ),
    }
}
