"""How a message names a command to run: `astre <verb>`, or the make target in a structure's repository.

In a structure's repository, people run `make check`, `make docs`… (its Makefile exports
ASTRE_VIA_MAKE=1 to astre): `astre` itself is not on their PATH there, so a message that
said « lancez « astre check » » would name a command that does not exist for them.
This is the one place that maps astre's verbs to the structure Makefile's targets.
"""

from __future__ import annotations

import os

VIA_MAKE = "ASTRE_VIA_MAKE"
# astre verb -> target of the structure's Makefile (generator/data/structure/Makefile).
MAKE_TARGETS = {"build": "docs", "check": "check", "watch": "watch", "status": "status", "report": "report",
                "financement": "financement", "secret": "secret", "new": "new", "upgrade": "docs"}
# astre verb -> the make variable that carries its argument (`make new ID=dupont-2026`).
MAKE_ARGUMENTS = {"new": "ID", "report": "YEAR"}


def via_make() -> bool:
    """True when astre runs under the structure's Makefile."""
    return os.environ.get(VIA_MAKE) == "1"


def command(verb: str, argument: str | None = None) -> str:
    """Return the command to tell someone to run: `astre check cases/x`, or `make check` under make.

    Under make, an argument the target does not take (a case folder for `make check`) is left
    out: the target then works on every case, which includes this one.
    """
    if via_make() and verb in MAKE_TARGETS:
        variable = MAKE_ARGUMENTS.get(verb)
        return f"make {MAKE_TARGETS[verb]}" + (f" {variable}={argument}" if variable and argument else "")
    return f"astre {verb}" + (f" {argument}" if argument else "")
