//! Rule options (`[options.<rule>]` in mtlsguard.toml), through the public API.

use mtlsguard_analyzer::{Language, Settings, analyze_text};

const MSI: &str = "resource ls 'Microsoft.DataFactory/factories/linkedservices@2018-06-01' = {
  name: 'f/ls'
  properties: {
    type: 'Web'
    typeProperties: {
      url: 'https://example.com'
      authenticationType: 'MSI'
    }
  }
}
";

#[test]
fn managed_identities_are_reported_only_when_asked() {
    let default = analyze_text(Language::Bicep, MSI, &Settings::default());
    assert!(default.is_empty(), "{default:?}");
    let mut settings = Settings::default();
    settings.report_managed_identity = true;
    let reported = analyze_text(Language::Bicep, MSI, &settings);
    assert_eq!(reported.len(), 1, "{reported:?}");
    assert_eq!(
        reported[0].message,
        "authenticationType is 'MSI': set it to 'ClientCertificate' to authenticate with a client certificate"
    );
    // A certificate service principal holds no shared secret either way.
    let sp = MSI.replace(
        "authenticationType: 'MSI'",
        "authenticationType: 'ServicePrincipal'\n      servicePrincipalCredentialType: 'ServicePrincipalCert'",
    );
    assert!(analyze_text(Language::Bicep, &sp, &settings).is_empty());
}
