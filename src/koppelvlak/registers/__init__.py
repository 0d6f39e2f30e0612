"""The controller's registers: GDPR article 30 processing register and the storage register."""
