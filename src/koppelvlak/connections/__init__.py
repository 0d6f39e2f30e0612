"""Connections: school approval, scope, exceptions (objection, parental consent) and mandates."""
