"""One module per resource: colander schemas right above the Cornice services that use them."""
