"""What to say when WeasyPrint cannot load Pango, the system library that lays out the PDFs' text.

WeasyPrint loads Pango (through cffi) when it is imported, and raises OSError with an
English message when it is missing. Only the commands that draw PDFs import it: `astre
check` and `astre status` work without Pango.
"""

from __future__ import annotations

import sys

from ..errors import PdfLibraryError

# How to install Pango on each system, as WeasyPrint's documentation says (« Installation »).
_INSTALL = {
    "linux": "sous Debian ou Ubuntu (et WSL) : sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0 "
             "libharfbuzz-subset0 fontconfig ; sous Fedora : sudo dnf install pango",
    "darwin": "sous macOS, avec Homebrew : brew install pango",
    "win32": "sous Windows, installez MSYS2 (https://www.msys2.org), puis dans son terminal : "
             "pacman -S mingw-w64-ucrt-x86_64-pango (WeasyPrint la cherche dans C:\\msys64\\ucrt64\\bin) ; "
             "ou utilisez astre dans WSL (Ubuntu), voir le README",
}


def missing_pango(platform: str | None = None) -> PdfLibraryError:
    """Return the French error for a missing Pango, with the install command of `platform` (this system)."""
    platform = platform or sys.platform
    system = "linux" if platform.startswith("linux") else platform if platform in _INSTALL else "linux"
    return PdfLibraryError("impossible de produire les PDF : la bibliothèque système Pango (utilisée par "
                           f"WeasyPrint) est introuvable. Installez-la, {_INSTALL[system]} ; puis relancez. "
                           "« astre check » et « astre status » fonctionnent sans elle")
