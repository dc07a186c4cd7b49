//! `acr-token-client-cert`: Container Registry tokens must use certificates, not passwords.

use super::RuleCtx;
use crate::eval::Kind;

pub(super) fn check(ctx: &mut RuleCtx<'_, '_>) {
    let Some(props) = ctx.need_properties() else {
        return;
    };
    let Some(props) = props else {
        return ctx.out_of_scope();
    };
    let Some(creds) = ctx.need(&props, "credentials") else {
        return;
    };
    let Some(creds) = creds else {
        // Without credentials the token has no way to authenticate: nothing to judge.
        return ctx.out_of_scope();
    };
    match ctx.need(&creds, "certificates") {
        Some(Some(f)) => match &f.val.kind {
            Kind::Array(a) if a.is_empty() => {
                let msg = format!(
                    "{}: add at least one client certificate to the token's credentials",
                    ctx.describe(&f)
                );
                ctx.bad_value(&f, msg, None);
            }
            Kind::Unknown(w) => ctx.undecided(w.clone()),
            _ => {}
        },
        Some(None) => ctx.missing(
            &["properties", "credentials", "certificates"],
            "certificates is missing: add at least one client certificate to the token's credentials".to_owned(),
            None,
        ),
        None => {}
    }
    if let Some(Some(f)) = ctx.need(&creds, "passwords") {
        match &f.val.kind {
            Kind::Array(a) if !a.is_empty() => {
                let msg = format!(
                    "{}: remove the passwords (set it to []) and authenticate with client certificates",
                    ctx.describe(&f)
                        .replace("is an array", "is a non-empty array")
                );
                ctx.bad_value(&f, msg, None);
            }
            Kind::Unknown(w) => ctx.undecided(w.clone()),
            _ => {}
        }
    }
}
