//! `data-factory-client-cert`: Data Factory web calls must authenticate with a client certificate.

use super::{Field, RuleCtx};
use crate::Related;
use crate::eval::Kind;
use crate::fix::NewValue;
use crate::lower::MAX_DEPTH;

/// Control-flow activities keep their inner activities under these keys.
const NESTED: [&str; 4] = [
    "activities",
    "ifTrueActivities",
    "ifFalseActivities",
    "defaultActivities",
];

/// Identities that hold no shared secret: nothing a client certificate would replace.
const MANAGED_IDENTITIES: [&str; 3] = [
    "MSI",
    "SystemAssignedManagedIdentity",
    "UserAssignedManagedIdentity",
];

pub(super) fn check(ctx: &mut RuleCtx<'_, '_>) {
    let Some(props) = ctx.need_properties() else {
        return;
    };
    let Some(props) = props else {
        return ctx.out_of_scope();
    };
    if ctx
        .res
        .is_type("Microsoft.DataFactory/factories/linkedservices")
    {
        check_web_object(ctx, &props, &["Web", "HttpServer"], "linked service");
    } else if let Some(Some(list)) = ctx.need(&props, "activities") {
        activities(ctx, &list, 0);
    }
}

fn activities<'m>(ctx: &mut RuleCtx<'_, 'm>, list: &Field<'m>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    let Some(items) = ctx.items(list) else {
        return;
    };
    for activity in items {
        if activity.val.as_object().is_none() {
            continue;
        }
        check_web_object(ctx, &activity, &["WebActivity", "WebHook"], "activity");
        // Inner activities sit in `typeProperties` in Data Factory's own JSON; accept both places.
        let mut holders = vec![activity.clone()];
        if let Some(Some(tp)) = ctx.need(&activity, "typeProperties") {
            holders.push(tp);
        }
        for holder in holders {
            for key in NESTED {
                if let Some(Some(inner)) = ctx.need(&holder, key) {
                    activities(ctx, &inner, depth + 1);
                }
            }
            if let Some(Some(cases)) = ctx.need(&holder, "cases") {
                for case in ctx.items(&cases).unwrap_or_default() {
                    if let Some(Some(inner)) = ctx.need(&case, "activities") {
                        activities(ctx, &inner, depth + 1);
                    }
                }
            }
        }
    }
}

/// Checks an object whose `type` is one of `kinds` (a linked service's properties or an activity).
fn check_web_object<'m>(ctx: &mut RuleCtx<'_, 'm>, obj: &Field<'m>, kinds: &[&str], what: &str) {
    let Some(Some((type_field, kind))) = ctx.need_string(obj, "type") else {
        return;
    };
    let Some(kind) = kinds.iter().find(|k| k.eq_ignore_ascii_case(&kind)) else {
        return;
    };
    let Some(Some(tp)) = ctx.need(obj, "typeProperties") else {
        return;
    };
    // The type lives beside its credential settings: `typeProperties` itself, or the
    // `authentication` object Data Factory writes for activities.
    let (holder, auth) = match ctx.need(&tp, "authenticationType") {
        Some(Some(f)) => (tp.clone(), f),
        Some(None) => {
            let Some(Some(a)) = ctx.need(&tp, "authentication") else {
                return;
            };
            let Some(Some(f)) = ctx.need(&a, "type") else {
                return;
            };
            let f = Field {
                name: "authentication.type".into(),
                ..f
            };
            (a, f)
        }
        None => return,
    };
    let s = match &auth.val.kind {
        Kind::Str(s) => s.clone(),
        Kind::Unknown(w) => return ctx.undecided(w.clone()),
        _ => return,
    };
    if s.eq_ignore_ascii_case("ClientCertificate") {
        return;
    }
    let managed = MANAGED_IDENTITIES
        .iter()
        .any(|m| m.eq_ignore_ascii_case(&s));
    if managed && !ctx.settings.report_managed_identity {
        return;
    }
    if s.eq_ignore_ascii_case("ServicePrincipal") {
        match ctx.need_string(&holder, "servicePrincipalCredentialType") {
            None => return,
            Some(Some((_, c))) if c.eq_ignore_ascii_case("ServicePrincipalCert") => return,
            _ => {}
        }
    }
    let msg = format!(
        "{}: set it to 'ClientCertificate' to authenticate with a client certificate",
        ctx.describe(&auth)
    );
    // Not preferred: switching the type alone does not supply the certificate.
    ctx.bad_value(
        &auth,
        msg,
        Some((NewValue::Str("ClientCertificate".into()), false)),
    );
    let related = Related {
        file: None,
        range: type_field.at.clone(),
        message: format!("type '{kind}': this {what} calls an HTTP endpoint"),
    };
    if let Some(f) = ctx.last_finding() {
        f.related.push(related);
    }
}
