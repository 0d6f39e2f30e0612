"""Incidents: outages and suspected breaches reported by providers, assessed by the school's DPO."""
