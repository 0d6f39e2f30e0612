"""UWLR 2.x SOAP endpoints: HaalLeerlinggegevens and BrengLeerresultaten (Edustandaard)."""
