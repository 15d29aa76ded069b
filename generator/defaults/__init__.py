"""The toolkit's defaults (schemas, forms, templates), mapped from the top of the repository by pyproject.toml."""
