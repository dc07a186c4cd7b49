//! `app-service-client-cert`: internal App Service apps and slots must require client certificates.

use super::RuleCtx;
use crate::eval::Kind;
use crate::fix::NewValue;

pub(super) fn check(ctx: &mut RuleCtx<'_, '_>) {
    if ctx.is_internal() != Some(true) {
        return;
    }
    // A slot inherits both settings from its site, so only a site must state them.
    let is_site = ctx.res.is_type("Microsoft.Web/sites");
    let Some(Some(props)) = ctx.need_properties() else {
        return;
    };

    match ctx.need(&props, "clientCertEnabled") {
        Some(Some(f)) => match f.val.kind {
            Kind::Bool(false) => {
                ctx.must_be_true(&f);
            }
            Kind::Unknown(ref w) => ctx.undecided(w.clone()),
            _ => {}
        },
        Some(None) if is_site => ctx.missing(
            &["properties", "clientCertEnabled"],
            "clientCertEnabled is missing: set it to true to require client certificates"
                .to_owned(),
            Some(NewValue::Bool(true)),
        ),
        _ => {}
    }

    match ctx.need(&props, "clientCertMode") {
        Some(Some(f)) => match &f.val.kind {
            Kind::Str(s) if !s.eq_ignore_ascii_case("Required") => {
                let msg = format!(
                    "{}: set it to 'Required' to require client certificates",
                    ctx.describe(&f)
                );
                ctx.bad_value(&f, msg, Some((NewValue::Str("Required".into()), true)));
            }
            Kind::Unknown(w) => ctx.undecided(w.clone()),
            _ => {}
        },
        Some(None) if is_site => ctx.missing(
            &["properties", "clientCertMode"],
            "clientCertMode is missing: set it to 'Required' to require client certificates"
                .to_owned(),
            Some(NewValue::Str("Required".into())),
        ),
        _ => {}
    }
}
