//! `container-apps-client-cert`: internal Container Apps ingress must require client certificates.

use super::RuleCtx;
use crate::eval::Kind;
use crate::fix::NewValue;

/// `clientCertificateMode` exists from this API version on.
const MIN_API_VERSION: &str = "2022-10-01";

pub(super) fn check(ctx: &mut RuleCtx<'_, '_>) {
    // API versions are dates (`2023-05-01-preview`): the date part compares as text.
    let Some(api) = ctx.res.api_version.as_deref() else {
        return ctx.out_of_scope();
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
        return ctx.out_of_scope();
    }
    let Some(props) = ctx.need_properties() else {
        return;
    };
    let Some(props) = props else {
        return ctx.out_of_scope();
    };
    let Some(config) = ctx.need(&props, "configuration") else {
        return;
    };
    let Some(config) = config else {
        return ctx.out_of_scope();
    };
    let Some(ingress) = ctx.need(&config, "ingress") else {
        return;
    };
    let Some(ingress) = ingress else {
        // No ingress: nothing reaches the app from outside its environment.
        return ctx.out_of_scope();
    };
    match ctx.need(&ingress, "external") {
        None => return,
        // `true` is external (out of scope). Any other known value, even the string
        // `'true'`, is not `true`: the ingress is internal.
        Some(Some(f)) if f.val.as_bool() == Some(true) => return ctx.out_of_scope(),
        Some(Some(f)) => match &f.val.kind {
            Kind::Unknown(w) => return ctx.undecided(w.clone()),
            _ => ctx.gate(&f),
        },
        Some(None) => {}
    }
    match ctx.need(&ingress, "clientCertificateMode") {
        Some(Some(f)) => match &f.val.kind {
            Kind::Str(s) => {
                let what = if s.eq_ignore_ascii_case("ignore") {
                    "client certificates are ignored"
                } else if s.eq_ignore_ascii_case("accept") {
                    "client certificates are accepted but not required"
                } else {
                    return;
                };
                let msg = format!(
                    "{}: set it to 'require' to require client certificates",
                    ctx.describe_with(&f, Some(what))
                );
                ctx.bad_value(&f, msg, Some((NewValue::Str("require".into()), true)));
            }
            Kind::Unknown(w) => ctx.undecided(w.clone()),
            _ => {}
        },
        Some(None) => ctx.missing(
            &["properties", "configuration", "ingress", "clientCertificateMode"],
            "clientCertificateMode is missing (client certificates are ignored): set it to 'require' to require client certificates".to_owned(),
            Some(NewValue::Str("require".into())),
        ),
        None => {}
    }
}
