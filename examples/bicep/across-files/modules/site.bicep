// A reusable App Service site: public unless its caller says otherwise.
param location string = resourceGroup().location
param publicNetworkAccess string = 'Enabled'
param clientCertMode string = 'Optional'

resource site 'Microsoft.Web/sites@2023-12-01' = {
  name: 'app-${uniqueString(resourceGroup().id)}'
  location: location
  properties: {
    publicNetworkAccess: publicNetworkAccess
    clientCertEnabled: true
    clientCertMode: clientCertMode
  }
}
