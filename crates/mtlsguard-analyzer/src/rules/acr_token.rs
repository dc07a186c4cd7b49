//! `acr-token-client-cert`: Container Registry tokens must use certificates, not passwords.

use super::RuleCtx;
use crate::model::ValueKind;

pub(super) fn check(ctx: &mut RuleCtx<'_, '_>) {
    let Some((_, props)) = ctx.properties() else {
        return;
    };
    let Some((_, creds)) = props.get_object("credentials") else {
        return;
    };
    match creds.get("certificates") {
        Some(p) => {
            let lit = ctx.resolve(&p.value);
            if matches!(&lit.value.kind, ValueKind::Array(a) if a.is_empty()) {
                let msg = "certificates is an empty array: add at least one client certificate to the token's credentials".to_owned();
                ctx.bad_value(p, &lit, msg, None);
            }
        }
        None => ctx.missing(
            &["properties", "credentials", "certificates"],
            "certificates is missing: add at least one client certificate to the token's credentials".to_owned(),
            None,
        ),
    }
    if let Some(p) = creds.get("passwords") {
        let lit = ctx.resolve(&p.value);
        if matches!(&lit.value.kind, ValueKind::Array(a) if !a.is_empty()) {
            let msg = "passwords is a non-empty array: remove the passwords (set it to []) and authenticate with client certificates".to_owned();
            ctx.bad_value(p, &lit, msg, None);
        }
    }
}
