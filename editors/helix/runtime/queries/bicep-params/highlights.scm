; inherits: bicep
