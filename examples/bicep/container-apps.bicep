// container-apps-client-cert: an internal ingress that never asks for a certificate.
param certificateMode string = 'ignore'

resource internalWorker 'Microsoft.App/containerApps@2023-05-01' = {
  name: 'internal-worker'
  location: resourceGroup().location
  properties: {
    configuration: {
      ingress: {
        external: false
        targetPort: 8080
        clientCertificateMode: certificateMode
      }
    }
  }
}
