// Settings as real templates compute them: mtlsguard evaluates the expressions, so the
// findings below are decided, named after the definition they come from, and fixed there.
param enablePublicNetworkAccess bool = false
param clientCertEnabled bool = false
param apps array = [
  {
    name: 'orders'
    mode: 'Required'
  }
  {
    name: 'billing'
    mode: 'Optional'
  }
]

var baseSiteProperties = {
  httpsOnly: true
  clientCertEnabled: true
  clientCertMode: 'Optional'
}

// The gate is a ternary over a param default: the site is internal.
resource api 'Microsoft.Web/sites@2024-04-01' = {
  name: 'api'
  location: resourceGroup().location
  properties: {
    publicNetworkAccess: enablePublicNetworkAccess ? 'Enabled' : 'Disabled'
    clientCertEnabled: clientCertEnabled // reported at the param default, fixed there
    clientCertMode: 'Required'
  }
}

// Whole properties from a var, merged with union(): the later object wins.
resource portal 'Microsoft.Web/sites@2024-04-01' = {
  name: 'portal'
  location: resourceGroup().location
  properties: union(baseSiteProperties, { publicNetworkAccess: 'Disabled' })
}

// One site per element of a known array: only the element that is wrong is reported.
resource perApp 'Microsoft.Web/sites@2024-04-01' = [
  for app in apps: {
    name: app.name
    location: resourceGroup().location
    properties: {
      publicNetworkAccess: 'Disabled'
      clientCertEnabled: true
      clientCertMode: app.mode
    }
  }
]
