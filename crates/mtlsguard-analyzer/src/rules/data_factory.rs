//! `data-factory-client-cert`: Data Factory web calls must authenticate with a client certificate.

use super::{Lit, RuleCtx, show};
use crate::Related;
use crate::fix::NewValue;
use crate::lower::MAX_DEPTH;
use crate::model::{Object, Property, Value, ValueKind};

/// Control-flow activities keep their inner activities under these keys.
const NESTED: [&str; 4] = [
    "activities",
    "ifTrueActivities",
    "ifFalseActivities",
    "defaultActivities",
];

pub(super) fn check(ctx: &mut RuleCtx<'_, '_>) {
    let Some((_, props)) = ctx.properties() else {
        return;
    };
    if ctx
        .res
        .is_type("Microsoft.DataFactory/factories/linkedservices")
    {
        check_web_object(ctx, props, &["Web", "HttpServer"], "linked service");
    } else if let Some(list) = props.get("activities") {
        activities(ctx, &list.value, 0);
    }
}

fn activities<'a>(ctx: &mut RuleCtx<'a, '_>, list: &'a Value, depth: usize) {
    let ValueKind::Array(items) = &list.kind else {
        return;
    };
    if depth > MAX_DEPTH {
        return;
    }
    for item in items {
        let Some(activity) = item.as_object() else {
            continue;
        };
        check_web_object(ctx, activity, &["WebActivity", "WebHook"], "activity");
        // Inner activities sit in `typeProperties` in Data Factory's own JSON; accept both places.
        let holders =
            std::iter::once(activity).chain(activity.get_object("typeProperties").map(|(_, o)| o));
        for holder in holders {
            for key in NESTED {
                if let Some(p) = holder.get(key) {
                    activities(ctx, &p.value, depth + 1);
                }
            }
            if let Some(cases) = holder.get("cases")
                && let ValueKind::Array(cases) = &cases.value.kind
            {
                for case in cases.iter().filter_map(Value::as_object) {
                    if let Some(p) = case.get("activities") {
                        activities(ctx, &p.value, depth + 1);
                    }
                }
            }
        }
    }
}

/// Checks an object whose `type` is one of `kinds` (a linked service's properties or an activity).
fn check_web_object<'a>(ctx: &mut RuleCtx<'a, '_>, obj: &'a Object, kinds: &[&str], what: &str) {
    let Some(type_prop) = obj.get("type") else {
        return;
    };
    let Some(kind) = ctx.string_of(obj, "type") else {
        return;
    };
    let Some(kind) = kinds.iter().find(|k| k.eq_ignore_ascii_case(kind)) else {
        return;
    };
    let Some((_, tp)) = obj.get_object("typeProperties") else {
        return;
    };
    let auth: Option<(&str, &Property)> = match tp.get("authenticationType") {
        Some(p) => Some(("authenticationType", p)),
        None => tp
            .get_object("authentication")
            .and_then(|(_, a)| a.get("type"))
            .map(|p| ("authentication.type", p)),
    };
    let Some((name, auth)) = auth else { return };
    let lit: Lit<'_> = ctx.resolve(&auth.value);
    let ValueKind::Str(s) = &lit.value.kind else {
        return;
    };
    if s.eq_ignore_ascii_case("ClientCertificate") {
        return;
    }
    let msg = format!(
        "{name} is {}: set it to 'ClientCertificate' to authenticate with a client certificate",
        show(lit.value)
    );
    let before = ctx.out.len();
    // Not preferred: switching the type alone does not supply the certificate.
    ctx.bad_value_named(
        name,
        auth,
        &lit,
        msg,
        Some((NewValue::Str("ClientCertificate".into()), false)),
    );
    if let Some(f) = ctx.out.get_mut(before) {
        f.related.push(Related {
            range: type_prop.range.clone(),
            message: format!("type '{kind}': this {what} calls an HTTP endpoint"),
        });
    }
}
