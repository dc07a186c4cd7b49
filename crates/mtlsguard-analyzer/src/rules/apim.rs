//! `apim-client-cert`: API Management gateway hostnames must negotiate client certificates.

use super::RuleCtx;
use crate::fix::NewValue;
use crate::model::ValueKind;

pub(super) fn check(ctx: &mut RuleCtx<'_, '_>) {
    let Some(props) = ctx.properties_if_decidable() else {
        return;
    };
    match props.and_then(|o| o.get("negotiateClientCertificate")) {
        Some(p) => {
            let lit = ctx.resolve(&p.value);
            if let ValueKind::Bool(false) = lit.value.kind {
                let msg = "negotiateClientCertificate is false: set it to true to require client certificates".to_owned();
                ctx.bad_value(p, &lit, msg, Some((NewValue::Bool(true), true)));
            }
        }
        None => ctx.missing(
            &["properties", "negotiateClientCertificate"],
            "negotiateClientCertificate is missing: set it to true to require client certificates"
                .to_owned(),
            Some(NewValue::Bool(true)),
        ),
    }
}
