// A parameters file for modules/site.bicep: the values it sets decide too.
using 'modules/site.bicep'

param publicNetworkAccess = 'Disabled'
param clientCertMode = 'Optional'
