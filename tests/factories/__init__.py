"""factory_boy factories for test data, with traits; shared across test modules."""
