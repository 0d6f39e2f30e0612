"""The provider onboarding JSON API: apply, propose datasets, follow accreditation and schools."""
