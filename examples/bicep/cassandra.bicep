// cassandra-client-cert: a managed Cassandra cluster that lists no client certificates.
var operatorCertificates = []

resource cluster 'Microsoft.DocumentDB/cassandraClusters@2023-04-15' = {
  name: 'orders-cluster'
  location: resourceGroup().location
  properties: {
    delegatedManagementSubnetId: resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet', 'cassandra')
    clientCertificates: operatorCertificates
  }
}
