// data-factory-client-cert: a web linked service and a looped web call using passwords.
resource factory 'Microsoft.DataFactory/factories@2018-06-01' existing = {
  name: 'factory'
}

resource inventoryApi 'Microsoft.DataFactory/factories/linkedservices@2018-06-01' = {
  parent: factory
  name: 'inventory-api'
  properties: {
    type: 'HttpServer'
    typeProperties: {
      url: 'https://inventory.internal.example.com'
      authenticationType: 'Basic'
      userName: 'etl'
      password: { type: 'SecureString', value: 'not-a-real-password' }
    }
  }
}

resource notify 'Microsoft.DataFactory/factories/pipelines@2018-06-01' = {
  parent: factory
  name: 'notify'
  properties: {
    activities: [
      {
        name: 'EachOrder'
        type: 'ForEach'
        typeProperties: {
          items: { value: '@pipeline().parameters.orders', type: 'Expression' }
          activities: [
            {
              name: 'CallOrderService'
              type: 'WebActivity'
              typeProperties: {
                url: 'https://orders.internal.example.com/notify'
                method: 'POST'
                authentication: { type: 'Basic', username: 'etl', password: { type: 'SecureString', value: 'x' } }
              }
            }
          ]
        }
      }
    ]
  }
}
