"""Providers: organisations, accreditation, apps, credentials and versioned datasets."""
