"""Default forms of astre, shipped in the wheel as package data (read through importlib.resources)."""
