//! The rules: one file each, with its documentation in `docs/<id>.md` beside this file.

mod acr_token;
mod apim;
mod app_service;
mod cassandra;
mod container_apps;
mod data_factory;
mod service_fabric;
mod signalr;

mod check;
mod context;
mod settings;

pub(crate) use check::{Binding, check_resource, loop_cases, run};
pub use context::Outcome;
pub(crate) use context::{Field, Got, RuleCtx};
pub use settings::Settings;

use crate::Level;

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

/// Where the rule pages are published: the `docs/` folder beside this file, in the
/// repository the workspace manifest names (the one place the project's home is written).
pub const DOCS_BASE_URL: &str = concat!(
    env!("CARGO_PKG_REPOSITORY"),
    "/blob/main/crates/mtlsguard-analyzer/src/rules/docs"
);

impl RuleMeta {
    /// The rule's published page (what SARIF `helpUri` and LSP `codeDescription` link to).
    pub fn help_uri(&self) -> String {
        format!("{DOCS_BASE_URL}/{}.md", self.id)
    }
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
use pseudo as file_error;
use pseudo as unresolved_reference;

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
    unresolved_reference => { id: "unresolved-reference", summary: "Modules, `using` targets and parameters files' templates that cannot be read, so the values they would supply are unknown", types: &[], fixable: false, level: Level::Info },
    file_error => { id: "file-error", summary: "Files that could not be analyzed: not UTF-8, or larger than the size limit", types: &[], fixable: false, level: Level::Error },
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
