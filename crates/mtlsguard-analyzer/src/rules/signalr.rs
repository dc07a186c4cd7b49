//! `signalr-client-cert`: internal SignalR / Web PubSub services must enable client certificates.

use super::RuleCtx;
use crate::eval::Kind;
use crate::fix::NewValue;

pub(super) fn check(ctx: &mut RuleCtx<'_, '_>) {
    if ctx.is_internal() != Some(true) {
        return;
    }
    let Some(Some(props)) = ctx.need_properties() else {
        return;
    };
    let Some(tls) = ctx.need(&props, "tls") else {
        return;
    };
    let Some(cert) = ctx.need_in(tls.as_ref(), "clientCertEnabled") else {
        return;
    };
    match cert {
        Some(f) => match &f.val.kind {
            Kind::Bool(false) => {
                let f = super::Field {
                    name: "tls.clientCertEnabled".into(),
                    ..f
                };
                ctx.must_be_true(&f);
            }
            Kind::Unknown(w) => ctx.undecided(w.clone()),
            _ => {}
        },
        None => ctx.missing(
            &["properties", "tls", "clientCertEnabled"],
            "tls.clientCertEnabled is missing: set it to true to require client certificates"
                .to_owned(),
            Some(NewValue::Bool(true)),
        ),
    }
}
