"""`python -m generator.data`: print the path of the runtime lock file shipped with astre.

A structure's Makefile installs astre without its dependencies first, then the exact
versions of this file (hashes included): this runs with nothing but the standard library.
"""

from pathlib import Path

print(Path(__file__).with_name("requirements.lock"))
