"""A structure's repository: `astre init`/`upgrade`, `astre new`, editor settings, the README reference."""
