//! The rules: one file each, with its documentation in `docs/<id>.md` beside this file.

mod acr_token;
mod apim;
mod app_service;
mod cassandra;
mod container_apps;
mod data_factory;
mod service_fabric;
mod signalr;

use std::ops::Range;

use crate::fix::{self, NewValue};
use crate::model::{Model, Object, Property, Resource, Value, ValueKind};
use crate::syntax::Document;
use crate::{Finding, Fix, Level, Related, Settings};

/// Static description of a rule.
#[derive(Debug)]
pub struct RuleMeta {
    pub id: &'static str,
    /// One line: what the rule checks.
    pub summary: &'static str,
    pub default_level: Level,
    /// The resource types it covers (empty for the pseudo-rules).
    pub resource_types: &'static [&'static str],
    /// Markdown documentation (what `mtlsguard rule <id>` prints).
    pub docs: &'static str,
    /// Whether findings carry a fix.
    pub fixable: bool,
}

type Check = fn(&mut RuleCtx<'_, '_>);

macro_rules! rules {
    ($( $module:ident => { id: $id:literal, summary: $summary:literal, types: $types:expr, fixable: $fixable:literal, level: $level:expr } ),* $(,)?) => {
        /// Every rule, the eight resource rules first, then the pseudo-rules.
        pub static RULES: &[RuleMeta] = &[
            $( RuleMeta { id: $id, summary: $summary, default_level: $level, resource_types: $types, docs: include_str!(concat!("docs/", $id, ".md")), fixable: $fixable }, )*
        ];
        static CHECKS: &[(&str, Check)] = &[ $( ($id, $module::check as Check), )* ];
    };
}

mod pseudo {
    pub(super) fn check(_: &mut super::RuleCtx<'_, '_>) {}
}
use pseudo as unused_suppression;
use pseudo as syntax_error;

rules! {
    app_service => { id: "app-service-client-cert", summary: "App Service apps and slots that do not require client certificates", types: &["Microsoft.Web/sites", "Microsoft.Web/sites/slots"], fixable: true, level: Level::Warning },
    signalr => { id: "signalr-client-cert", summary: "SignalR and Web PubSub services with client certificates disabled", types: &["Microsoft.SignalRService/signalR", "Microsoft.SignalRService/webPubSub"], fixable: true, level: Level::Warning },
    container_apps => { id: "container-apps-client-cert", summary: "Internal Container Apps ingress that does not require client certificates", types: &["Microsoft.App/containerApps"], fixable: true, level: Level::Warning },
    apim => { id: "apim-client-cert", summary: "API Management gateway hostnames that do not negotiate client certificates", types: &["Microsoft.ApiManagement/service/gateways/hostnameConfigurations"], fixable: true, level: Level::Warning },
    data_factory => { id: "data-factory-client-cert", summary: "Data Factory web linked services and activities not authenticating with a client certificate", types: &["Microsoft.DataFactory/factories/linkedservices", "Microsoft.DataFactory/factories/pipelines"], fixable: true, level: Level::Warning },
    acr_token => { id: "acr-token-client-cert", summary: "Container Registry tokens without certificates, or with passwords", types: &["Microsoft.ContainerRegistry/registries/tokens"], fixable: false, level: Level::Warning },
    cassandra => { id: "cassandra-client-cert", summary: "Managed Cassandra clusters without client certificates", types: &["Microsoft.DocumentDB/cassandraClusters"], fixable: false, level: Level::Warning },
    service_fabric => { id: "service-fabric-client-cert", summary: "Service Fabric clusters without client certificate common names or thumbprints", types: &["Microsoft.ServiceFabric/clusters"], fixable: false, level: Level::Warning },
    unused_suppression => { id: "unused-suppression", summary: "Suppression comments that suppress nothing", types: &[], fixable: true, level: Level::Info },
    syntax_error => { id: "syntax-error", summary: "Text the parser could not read (analysis continues around it)", types: &[], fixable: false, level: Level::Info },
}

/// Looks a rule up by id.
pub fn rule(id: &str) -> Option<&'static RuleMeta> {
    RULES.iter().find(|r| r.id == id)
}

/// True when some rule checks resources of type `ty`.
pub(crate) fn is_relevant(ty: &str) -> bool {
    RULES
        .iter()
        .any(|r| r.resource_types.iter().any(|t| t.eq_ignore_ascii_case(ty)))
}

/// Runs every enabled resource rule over every resource of the document.
pub(crate) fn run(doc: &Document<'_>, model: &Model, settings: &Settings) -> Vec<Finding> {
    let mut out = Vec::new();
    for res in model.resources.iter().filter(|r| !r.existing) {
        check_resource(doc, model, res, settings, &mut out);
    }
    out
}

pub(crate) fn check_resource(
    doc: &Document<'_>,
    model: &Model,
    res: &Resource,
    settings: &Settings,
    out: &mut Vec<Finding>,
) {
    for (id, check) in CHECKS {
        let level = settings.level(id);
        if level == Level::Off {
            continue;
        }
        let meta = rule(id).expect("every check has metadata");
        if !meta.resource_types.iter().any(|t| res.is_type(t)) {
            continue;
        }
        let mut ctx = RuleCtx {
            doc,
            model,
            res,
            rule: meta.id,
            level,
            out,
        };
        check(&mut ctx);
    }
}

/// What a rule sees: the resource, value resolution, and ways to report.
pub(crate) struct RuleCtx<'a, 'm> {
    pub doc: &'a Document<'m>,
    pub model: &'a Model,
    pub res: &'a Resource,
    pub rule: &'static str,
    pub level: Level,
    pub out: &'a mut Vec<Finding>,
}

/// A property's value after following params/vars.
pub(crate) struct Lit<'a> {
    pub value: &'a Value,
    pub via: Option<Range<usize>>,
}

impl<'a, 'm> RuleCtx<'a, 'm> {
    pub fn properties(&self) -> Option<(&'a Property, &'a Object)> {
        self.res.properties()
    }

    /// The resource's `properties`: `Some(None)` when absent (so every property in it is
    /// missing), `None` when it is not an object literal (undecidable: no finding).
    pub fn properties_if_decidable(&self) -> Option<Option<&'a Object>> {
        match self.res.body.get("properties") {
            None => Some(None),
            Some(p) => match &p.value.kind {
                ValueKind::Object(o) => Some(Some(o)),
                _ => None,
            },
        }
    }

    pub fn resolve(&self, v: &'a Value) -> Lit<'a> {
        let r = self.model.resolve(self.res.scope, v);
        Lit {
            value: r.value,
            via: r.via,
        }
    }

    /// The resolved literal string of `obj.key`, if it is one.
    pub fn string_of(&self, obj: &'a Object, key: &str) -> Option<&'a str> {
        let p = obj.get(key)?;
        match &self.resolve(&p.value).value.kind {
            ValueKind::Str(s) => Some(s),
            _ => None,
        }
    }

    /// App Service and SignalR are in scope only when `publicNetworkAccess` is `Disabled`.
    pub fn is_internal(&self) -> bool {
        self.properties()
            .and_then(|(_, props)| self.string_of(props, "publicNetworkAccess"))
            .is_some_and(|s| s.eq_ignore_ascii_case("Disabled"))
    }

    /// Reports a property whose (resolved) value is wrong; offers replacing it with `good`.
    pub fn bad_value(
        &mut self,
        prop: &Property,
        lit: &Lit<'_>,
        message: String,
        good: Option<(NewValue, bool)>,
    ) {
        self.bad_value_named(&prop.key, prop, lit, message, good);
    }

    /// [`Self::bad_value`] for a property better named by its path (`authentication.type`).
    pub fn bad_value_named(
        &mut self,
        name: &str,
        prop: &Property,
        lit: &Lit<'_>,
        message: String,
        good: Option<(NewValue, bool)>,
    ) {
        let mut related = Vec::new();
        if let Some(via) = &lit.via {
            related.push(Related {
                range: via.clone(),
                message: format!("the value of {name} is defined here"),
            });
        }
        let fix = good.map(|(new, safe)| {
            // Through a param/var the property itself is rewritten: changing a shared
            // definition could affect other uses, so that fix is never marked safe.
            let safe = safe && lit.via.is_none();
            Fix {
                title: format!("Set {name} to {}", new.display()),
                edits: vec![fix::replace_value(
                    self.doc,
                    &self.res.body.range,
                    &prop.value,
                    &new,
                )],
                safe,
            }
        });
        self.push(prop.range.clone(), message, related, fix);
    }

    /// Reports a missing property at `path` below the resource body (e.g. `["properties",
    /// "tls", "clientCertEnabled"]`), located per spec section 5, with an insert fix.
    pub fn missing(&mut self, path: &[&str], message: String, insert: Option<NewValue>) {
        let (located, deepest) = self.locate_missing(path);
        // Where the property would sit did not parse cleanly, it may be in the error.
        if deepest.is_some_and(|(obj, _)| obj.incomplete) {
            return;
        }
        // A key differing only in case (`ClientCertEnabled`) is not the property, but
        // inserting the right spelling beside it would leave two keys that Bicep and
        // most resource providers treat as duplicates: point at it instead of fixing.
        let twin = deepest.and_then(|(obj, depth)| {
            obj.props
                .iter()
                .find(|p| p.key != path[depth] && p.key.eq_ignore_ascii_case(path[depth]))
                .map(|p| Related {
                    range: p.key_range.clone(),
                    message: format!(
                        "{} is not {}: property names are case-sensitive",
                        p.key, path[depth]
                    ),
                })
        });
        let insert = if twin.is_some() { None } else { insert };
        let fix = insert.and_then(|leaf| {
            let (obj, depth) = deepest?;
            let new = NewValue::nest(&path[depth..], leaf.clone());
            let (key, value) = match new {
                NewValue::Object(mut props) if props.len() == 1 => props.remove(0),
                _ => return None,
            };
            Some(Fix {
                title: format!("Add {} set to {}", path[path.len() - 1], leaf.display()),
                edits: fix::insert_property(self.doc, &self.res.body.range, obj, &key, &value)?,
                safe: true,
            })
        });
        self.push(located, message, twin.into_iter().collect(), fix);
    }

    /// Where a missing `path` points, and the deepest existing object on it (with its depth).
    fn locate_missing(&self, path: &[&str]) -> (Range<usize>, Option<(&'a Object, usize)>) {
        let mut obj = &self.res.body;
        let mut range = self.res.type_range.clone();
        for (i, key) in path[..path.len() - 1].iter().enumerate() {
            match obj.get(key) {
                Some(p) => match &p.value.kind {
                    ValueKind::Object(o) => {
                        if i > 0 {
                            range = p.key_range.clone();
                        }
                        obj = o;
                    }
                    _ => return (range, None),
                },
                None => return (range, Some((obj, i))),
            }
        }
        (range, Some((obj, path.len() - 1)))
    }

    pub fn push(
        &mut self,
        range: Range<usize>,
        message: String,
        related: Vec<Related>,
        fix: Option<Fix>,
    ) {
        self.out.push(Finding {
            rule: self.rule,
            level: self.level,
            message,
            range,
            related,
            fix,
        });
    }
}

/// How a literal is shown in messages: strings in single quotes, as Bicep writes them.
pub(crate) fn show(v: &Value) -> String {
    match &v.kind {
        ValueKind::Str(s) => format!("'{s}'"),
        ValueKind::Bool(b) => b.to_string(),
        ValueKind::Null => "null".into(),
        ValueKind::Number => "a number".into(),
        ValueKind::Object(_) => "an object".into(),
        ValueKind::Array(a) if a.is_empty() => "an empty array".into(),
        ValueKind::Array(_) => "an array".into(),
        ValueKind::Ref(_) | ValueKind::Expr => "an expression".into(),
    }
}
