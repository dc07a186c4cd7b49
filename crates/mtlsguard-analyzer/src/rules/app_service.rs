//! `app-service-client-cert`: internal App Service apps and slots must require client certificates.

use super::{RuleCtx, show};
use crate::fix::NewValue;
use crate::model::ValueKind;

pub(super) fn check(ctx: &mut RuleCtx<'_, '_>) {
    if !ctx.is_internal() {
        return;
    }
    // A slot inherits both settings from its site, so only a site must state them.
    let is_site = ctx.res.is_type("Microsoft.Web/sites");
    let Some((_, props)) = ctx.properties() else {
        return;
    };

    match props.get("clientCertEnabled") {
        Some(p) => {
            let lit = ctx.resolve(&p.value);
            if let ValueKind::Bool(false) = lit.value.kind {
                let msg =
                    "clientCertEnabled is false: set it to true to require client certificates"
                        .to_owned();
                ctx.bad_value(p, &lit, msg, Some((NewValue::Bool(true), true)));
            }
        }
        None if is_site => ctx.missing(
            &["properties", "clientCertEnabled"],
            "clientCertEnabled is missing: set it to true to require client certificates"
                .to_owned(),
            Some(NewValue::Bool(true)),
        ),
        None => {}
    }

    match props.get("clientCertMode") {
        Some(p) => {
            let lit = ctx.resolve(&p.value);
            if let ValueKind::Str(s) = &lit.value.kind
                && !s.eq_ignore_ascii_case("Required")
            {
                let msg = format!(
                    "clientCertMode is {}: set it to 'Required' to require client certificates",
                    show(lit.value)
                );
                ctx.bad_value(p, &lit, msg, Some((NewValue::Str("Required".into()), true)));
            }
        }
        None if is_site => ctx.missing(
            &["properties", "clientCertMode"],
            "clientCertMode is missing: set it to 'Required' to require client certificates"
                .to_owned(),
            Some(NewValue::Str("Required".into())),
        ),
        None => {}
    }
}
