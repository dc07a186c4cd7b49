// Bicep as Azure Verified Modules write it today: user-defined types, imports,
// resourceInput<> types, typed vars, spread, safe access, `??`, postfix `!` and lambdas.
// It reads without a syntax error. The spread of an unknown object may set any key, so
// the keys written after it decide: client certificates are optional here.
metadata name = 'Internal web app'

import { lockType } from 'br/public:avm/utl/types/avm-common-types:0.5.1'

@description('Optional. Extra site properties.')
param extraProperties resourceInput<'Microsoft.Web/sites@2024-04-01'>.properties?

@description('Optional. The lock to apply.')
param lock lockType?

type tier = 'Basic' | 'Standard' | 'Premium'

@export()
var defaultTier tier = 'Standard'

resource internalApp 'Microsoft.Web/sites@2024-04-01' = {
  name: 'internal-app-${defaultTier}'
  location: resourceGroup().location
  properties: {
    ...(extraProperties ?? {})
    publicNetworkAccess: 'Disabled'
    clientCertEnabled: true
    clientCertMode: 'Optional'
    keyVaultReferenceIdentity: extraProperties.?keyVaultReferenceIdentity ?? 'SystemAssigned'
    siteConfig: {
      appSettings: map(['A', 'B'], name => { name: name, value: lock!.?name ?? '' })
    }
  }
}
