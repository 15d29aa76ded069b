"""astre: case files, checks and SPSLH documents for ASTRE accompaniment measures.

The toolkit's defaults (schemas, forms, templates, barèmes) are package data, found
through generator.reading.resources: an installed astre needs no clone of its repository.
"""

__version__ = "0.5.0"
