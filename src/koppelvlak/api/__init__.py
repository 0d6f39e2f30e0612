"""Provider-facing HTTP and SOAP interfaces."""
