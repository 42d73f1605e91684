"""Adapters between calcidose and other formats (FHIR R4). Nothing here is imported by
``import calcidose``; each adapter needs its extra (``calcidose[service]`` for FHIR)."""
