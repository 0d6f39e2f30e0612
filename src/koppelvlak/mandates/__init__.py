"""Mandates: a school authorises a party for a named service, as in the service register."""
