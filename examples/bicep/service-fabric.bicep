// service-fabric-client-cert: a cluster that admits no client certificate.
resource cluster 'Microsoft.ServiceFabric/clusters@2021-06-01' = {
  name: 'fabric'
  location: resourceGroup().location
  properties: {
    managementEndpoint: 'https://fabric.westeurope.cloudapp.azure.com:19080'
    reliabilityLevel: 'Silver'
    clientCertificateCommonNames: []
    clientCertificateThumbprints: []
  }
}
