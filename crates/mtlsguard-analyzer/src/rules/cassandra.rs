//! `cassandra-client-cert`: managed Cassandra clusters must list client certificates.

use super::RuleCtx;
use crate::eval::Kind;

pub(super) fn check(ctx: &mut RuleCtx<'_, '_>) {
    let Some(props) = ctx.need_properties() else {
        return;
    };
    let Some(field) = ctx.need_in(props.as_ref(), "clientCertificates") else {
        return;
    };
    match field {
        Some(f) => match &f.val.kind {
            Kind::Array(a) if a.is_empty() => {
                let msg = format!("{}: list at least one client certificate", ctx.describe(&f));
                ctx.bad_value(&f, msg, None);
            }
            Kind::Unknown(w) => ctx.undecided(w.clone()),
            _ => {}
        },
        None => ctx.missing(
            &["properties", "clientCertificates"],
            "clientCertificates is missing: list at least one client certificate".to_owned(),
            None,
        ),
    }
}
