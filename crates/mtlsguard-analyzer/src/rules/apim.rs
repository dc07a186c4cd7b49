//! `apim-client-cert`: API Management gateway hostnames must negotiate client certificates.

use super::RuleCtx;
use crate::eval::Kind;
use crate::fix::NewValue;

pub(super) fn check(ctx: &mut RuleCtx<'_, '_>) {
    let Some(props) = ctx.need_properties() else {
        return;
    };
    let Some(field) = ctx.need_in(props.as_ref(), "negotiateClientCertificate") else {
        return;
    };
    match field {
        Some(f) => match &f.val.kind {
            Kind::Bool(false) => {
                ctx.must_be_true(&f);
            }
            Kind::Unknown(w) => ctx.undecided(w.clone()),
            // A non-boolean is no setting the rule can judge.
            _ => {}
        },
        None => ctx.missing(
            &["properties", "negotiateClientCertificate"],
            "negotiateClientCertificate is missing: set it to true to require client certificates"
                .to_owned(),
            Some(NewValue::Bool(true)),
        ),
    }
}
