//! `container-apps-client-cert`: internal Container Apps ingress must require client certificates.

use super::{RuleCtx, show};
use crate::fix::NewValue;
use crate::model::ValueKind;

/// `clientCertificateMode` exists from this API version on.
const MIN_API_VERSION: &str = "2022-10-01";

pub(super) fn check(ctx: &mut RuleCtx<'_, '_>) {
    // API versions are dates (`2023-05-01-preview`): the date part compares as text.
    let Some(api) = ctx.res.api_version.as_deref() else {
        return;
    };
    // Anything not shaped like `yyyy-mm-dd...` is no version we can compare.
    let is_date = |d: &str| {
        d.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        })
    };
    if api
        .get(..10)
        .is_none_or(|date| !is_date(date) || date < MIN_API_VERSION)
    {
        return;
    }
    let Some((_, props)) = ctx.properties() else {
        return;
    };
    let Some((_, config)) = props.get_object("configuration") else {
        return;
    };
    let Some((_, ingress)) = config.get_object("ingress") else {
        return;
    };
    if let Some(external) = ingress.get("external") {
        match ctx.resolve(&external.value).value.kind {
            ValueKind::Bool(false) => {}
            // `true` is external (out of scope); an expression is undecidable.
            _ => return,
        }
    }
    match ingress.get("clientCertificateMode") {
        Some(p) => {
            let lit = ctx.resolve(&p.value);
            if let ValueKind::Str(s) = &lit.value.kind {
                let what = if s.eq_ignore_ascii_case("ignore") {
                    "client certificates are ignored"
                } else if s.eq_ignore_ascii_case("accept") {
                    "client certificates are accepted but not required"
                } else {
                    return;
                };
                let msg = format!("clientCertificateMode is {} ({what}): set it to 'require' to require client certificates", show(lit.value));
                ctx.bad_value(p, &lit, msg, Some((NewValue::Str("require".into()), true)));
            }
        }
        None => ctx.missing(
            &["properties", "configuration", "ingress", "clientCertificateMode"],
            "clientCertificateMode is missing (client certificates are ignored): set it to 'require' to require client certificates".to_owned(),
            Some(NewValue::Str("require".into())),
        ),
    }
}
