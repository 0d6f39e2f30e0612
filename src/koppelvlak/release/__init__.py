"""The release engine: the one door through which personal data leaves the gateway."""
