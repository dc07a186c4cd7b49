//! `signalr-client-cert`: internal SignalR / Web PubSub services must enable client certificates.

use super::RuleCtx;
use crate::fix::NewValue;
use crate::model::ValueKind;

pub(super) fn check(ctx: &mut RuleCtx<'_, '_>) {
    if !ctx.is_internal() {
        return;
    }
    let Some((_, props)) = ctx.properties() else {
        return;
    };
    let tls = match props.get("tls") {
        None => None,
        Some(p) => match &p.value.kind {
            ValueKind::Object(o) => Some(o),
            // `tls` given as an expression: undecidable.
            _ => return,
        },
    };
    match tls.and_then(|o| o.get("clientCertEnabled")) {
        Some(p) => {
            let lit = ctx.resolve(&p.value);
            if let ValueKind::Bool(false) = lit.value.kind {
                let msg =
                    "tls.clientCertEnabled is false: set it to true to require client certificates"
                        .to_owned();
                ctx.bad_value(p, &lit, msg, Some((NewValue::Bool(true), true)));
            }
        }
        None => ctx.missing(
            &["properties", "tls", "clientCertEnabled"],
            "tls.clientCertEnabled is missing: set it to true to require client certificates"
                .to_owned(),
            Some(NewValue::Bool(true)),
        ),
    }
}
