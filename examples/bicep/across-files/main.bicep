// Across files: this template calls modules/site.bicep, which alone (public by
// default) has no finding. The calls below make it internal, and decide what its
// defaults leave open.

param location string = resourceGroup().location

// The module's own default clientCertMode is 'Optional': reported here, at the path,
// with a fix that sets it in this call.
module internalSite 'modules/site.bicep' = {
  name: 'internal-site'
  params: {
    location: location
    publicNetworkAccess: 'Disabled'
  }
}

// A bad value this call supplies: reported at its entry.
module optionalSite 'modules/site.bicep' = {
  name: 'optional-site'
  params: {
    location: location
    publicNetworkAccess: 'Disabled'
    clientCertMode: 'OptionalInteractiveUser'
  }
}

// Compliant: the call requires client certificates.
module requiredSite 'modules/site.bicep' = {
  name: 'required-site'
  params: {
    location: location
    publicNetworkAccess: 'Disabled'
    clientCertMode: 'Required'
  }
}

// A module that is not there: its values are unknown (unresolved-reference, info).
module legacy 'modules/legacy.bicep' = {
  name: 'legacy'
}
