"""astre: case files, checks and SPSLH documents for ASTRE accompaniment measures."""

from pathlib import Path

__version__ = "0.2.0"

# The toolkit's own folders (schemas/, forms/, templates/) sit beside the package.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
SCHEMAS_DIR = PROJECT_ROOT / "schemas"
FORMS_DIR = PROJECT_ROOT / "forms"
TEMPLATES_DIR = PROJECT_ROOT / "templates"
DATA_DIR = Path(__file__).resolve().parent / "data"
