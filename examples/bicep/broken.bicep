// syntax-error: the parser cannot read one value; the rest of the file is still checked.
resource internalApi 'Microsoft.Web/sites@2022-03-01' = {
  name: 'internal-api'
  properties: {
    publicNetworkAccess: 'Disabled'
    clientCertEnabled: )
    clientCertMode: 'Optional'
  }
}
