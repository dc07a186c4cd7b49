// Suppressions, and unused-suppression for the one that suppresses nothing.
resource legacyApi 'Microsoft.Web/sites@2022-03-01' = {
  name: 'legacy-api'
  properties: {
    publicNetworkAccess: 'Disabled'
    clientCertEnabled: true
    // Bicep's own directive syntax: Bicep linter codes may share the line.
    #disable-next-line app-service-client-cert no-hardcoded-env-urls // callers migrate in Q3
    clientCertMode: 'Optional'
  }
}

#disable-diagnostics signalr-client-cert
resource legacyHub 'Microsoft.SignalRService/signalR@2023-02-01' = {
  name: 'legacy-hub'
  properties: {
    publicNetworkAccess: 'Disabled'
  }
}
#restore-diagnostics signalr-client-cert

resource fixedApi 'Microsoft.Web/sites@2022-03-01' = {
  name: 'fixed-api'
  properties: {
    publicNetworkAccess: 'Disabled'
    clientCertEnabled: true
    // Stale: the setting below was fixed, the suppression stayed (unused-suppression).
    #disable-next-line app-service-client-cert
    clientCertMode: 'Required'
  }
}
