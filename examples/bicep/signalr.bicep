// signalr-client-cert: an internal Web PubSub hub without client certificates.
resource internalBus 'Microsoft.SignalRService/webPubSub@2023-02-01' = {
  name: 'internal-bus'
  location: resourceGroup().location
  sku: { name: 'Standard_S1' }
  properties: {
    publicNetworkAccess: 'Disabled'
    tls: {
      clientCertEnabled: false
    }
  }
}
