"""The weekly newsletter: put together from the week's items, federated, and e-mailed to
subscribers."""
