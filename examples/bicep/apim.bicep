// apim-client-cert: a self-hosted gateway hostname that does not negotiate certificates.
resource service 'Microsoft.ApiManagement/service@2022-08-01' existing = {
  name: 'apim'

  resource gateway 'gateways' existing = {
    name: 'edge'

    resource m2mHost 'hostnameConfigurations' = {
      name: 'm2m-host'
      properties: {
        hostname: 'm2m.example.com'
        certificateId: '${service.id}/certificates/m2m'
      }
    }
  }
}
