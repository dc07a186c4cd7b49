// No findings: every resource requires client certificates, or is out of scope.
resource internalApi 'Microsoft.Web/sites@2022-03-01' = {
  name: 'internal-api'
  location: resourceGroup().location
  properties: {
    publicNetworkAccess: 'Disabled'
    clientCertEnabled: true
    clientCertMode: 'Required'
  }
}

// Public apps serve browsers: certificates are impractical there, so they are out of scope.
resource publicSite 'Microsoft.Web/sites@2022-03-01' = {
  name: 'public-site'
  location: resourceGroup().location
  properties: {
    publicNetworkAccess: 'Enabled'
    clientCertEnabled: false
  }
}

resource internalWorker 'Microsoft.App/containerApps@2023-05-01' = {
  name: 'internal-worker'
  location: resourceGroup().location
  properties: {
    configuration: {
      ingress: {
        external: false
        targetPort: 8080
        clientCertificateMode: 'require'
      }
    }
  }
}

resource pullToken 'Microsoft.ContainerRegistry/registries/tokens@2022-12-01' = {
  name: 'registry/pull-token'
  properties: {
    credentials: {
      certificates: [
        {
          name: 'certificate1'
          encodedPemCertificate: loadFileAsBase64('pull-client.pem')
        }
      ]
    }
  }
}
