"""Hub posts of every kind: parsing what people write, storing it, federating it."""
