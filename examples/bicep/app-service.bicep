// app-service-client-cert: an internal app that accepts callers without a certificate.
resource internalApi 'Microsoft.Web/sites@2022-03-01' = {
  name: 'internal-api'
  location: resourceGroup().location
  properties: {
    publicNetworkAccess: 'Disabled'
    clientCertEnabled: true
    clientCertMode: 'Optional'
  }

  // A slot that turns certificates off again.
  resource staging 'slots' = {
    name: 'staging'
    properties: {
      publicNetworkAccess: 'Disabled'
      clientCertEnabled: false
    }
  }
}
