"""The roster: source data from the school's administration system (LAS)."""
