"""The board's policies: privacy statements and terms per audience, versioned, accepted."""
