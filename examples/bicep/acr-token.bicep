// acr-token-client-cert: a registry token with a password and no certificate.
resource pullToken 'Microsoft.ContainerRegistry/registries/tokens@2022-12-01' = {
  name: 'registry/pull-token'
  properties: {
    scopeMapId: resourceId('Microsoft.ContainerRegistry/registries/scopeMaps', 'registry', '_repositories_pull')
    credentials: {
      passwords: [
        {
          name: 'password1'
        }
      ]
    }
  }
}
