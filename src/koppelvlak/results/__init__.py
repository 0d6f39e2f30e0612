"""Results returned by providers (UWLR BrengLeerresultaten), kept under their connection."""
