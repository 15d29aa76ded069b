"""Project configuration: `astre.yaml` at the root of a structure's repository."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from .errors import ConfigError, Problem, YamlError
from .loader import load

CONFIG_NAME = "astre.yaml"


@dataclass
class Config:
    """The validated content of astre.yaml, with paths resolved from its folder."""

    path: Path
    data: dict[str, Any]

    @property
    def root(self) -> Path:
        """Folder holding astre.yaml: every relative path starts here."""
        return self.path.parent

    @property
    def cases_dir(self) -> Path:
        """Folder of the case folders."""
        return self.root / self.data.get("cases_dir", "cases")

    @property
    def output_dir(self) -> Path:
        """Folder where documents are written (and nothing else)."""
        return self.root / self.data.get("output_dir", "out")

    @property
    def templates_override(self) -> Path | None:
        """The structure's own templates folder, if configured."""
        value = self.data.get("templates_dir")
        return self.root / value if value else None

    @property
    def programme(self) -> dict[str, Any]:
        """The programme's rules (durations, quotas, amounts), as data."""
        return self.data["programme"]

    @property
    def structure(self) -> dict[str, Any]:
        """Identity of the association carrying the measures."""
        return self.data["structure"]

    def period(self) -> tuple[date, date]:
        """Return the programme's operation period."""
        p = self.programme["periode"]
        return date.fromisoformat(p["debut"]), date.fromisoformat(p["fin"])


def find_config(start: Path | None = None) -> Path:
    """Return astre.yaml from `start` or its parents, like git finds .git."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    raise ConfigError(f"{CONFIG_NAME} introuvable dans {here} ni dans ses dossiers parents : "
                      "lancez la commande depuis le dossier de votre structure (celui qui contient astre.yaml)")


def load_config(path: Path | None = None) -> Config:
    """Load and validate astre.yaml; raise ConfigError listing every problem."""
    from . import resources
    from .validate import validate

    path = path or find_config()
    resources.activate(path.parent)  # a structure may override the schema of astre.yaml too
    try:
        document = load(path)
    except YamlError as e:
        raise ConfigError(f"{path} est illisible", [e.problem]) from None
    if not isinstance(document.data, dict):
        raise ConfigError(f"{path} : la configuration doit être une suite de champs « nom: valeur »")
    problems = validate(document, "astre")
    if problems:
        raise ConfigError(f"{path} contient des erreurs", problems)
    config = Config(path.resolve(), document.data)
    output, cases = config.output_dir.resolve(), config.cases_dir.resolve()
    if output == config.root or output.is_relative_to(cases) or cases.is_relative_to(output):
        line, column = document.locate(("output_dir",))
        raise ConfigError(f"{path} contient des erreurs", [Problem(
            path, line, column, f"output_dir « {config.data.get('output_dir', 'out')} » mélangerait les documents "
            "et les dossiers des ménages", "choisissez un dossier à part, par exemple « output_dir: out »",
            code="config")])
    resources.activate(config.root, config.templates_override)
    return config
