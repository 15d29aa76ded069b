"""Command line: thin click commands that call one function of the package each.

Heavy libraries (WeasyPrint, docxtpl) are imported inside the commands that
need them, so `astre --help` and `astre check` start fast.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Any

import click

from . import __version__
from .commands import command
from .errors import AstreError, ConfigError
from .model.wording import counted, plural

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
# The years a date option may name, like the schemas' dates: beyond, date arithmetic overflows.
FIRST_YEAR, LAST_YEAR = 1900, 2099


def _date(ctx: Any, param: Any, value: str | None) -> date:
    if value is None:
        return date.today()
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"« {value} » n'est pas une date AAAA-MM-JJ valide") from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise click.BadParameter(f"« {value} » : l'année doit être entre {FIRST_YEAR} et {LAST_YEAR}")
    return day


def _year(ctx: Any, param: Any, value: str | None) -> int | None:
    if value is None:
        return None
    if not value.strip().isdigit() or len(value.strip()) != 4:
        raise click.BadParameter(f"« {value} » n'est pas une année sur 4 chiffres (AAAA, par exemple 2026)")
    year = int(value)
    if not 2000 <= year <= 2100:
        raise click.BadParameter(f"« {value} » : l'année doit être entre 2000 et 2100")
    return year


def _port(ctx: Any, param: Any, value: str) -> int:
    if not value.strip().isdigit() or int(value) > 65535:
        raise click.BadParameter(f"« {value} » n'est pas un numéro de port (un nombre de 0 à 65535, par exemple 8766)")
    return int(value)


def _fail(error: AstreError) -> None:
    click.echo(f"astre : {error}", err=True)
    for problem in getattr(error, "problems", []):
        click.echo(f"  {problem.format()}", err=True)
    sys.exit(error.exit_code)


class _Formatter(click.HelpFormatter):
    """Click's help layout with French headings."""

    HEADINGS = {"Options": "Options", "Commands": "Commandes", "Arguments": "Arguments"}

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        """Write the usage line, « Utilisation : » instead of « Usage: »."""
        super().write_usage(prog, args, prefix="Utilisation : ")

    def section(self, name: str) -> Any:
        """Open a help section with its French heading."""
        return super().section(self.HEADINGS.get(name, name))


class _Context(click.Context):
    formatter_class = _Formatter


def _help_option(option: click.Option | None) -> click.Option | None:
    if option is not None:
        option.help = "Afficher cette aide et quitter."
    return option


class _Command(click.Command):
    """A command whose help is in French."""

    context_class = _Context

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        """Return the help option, described in French."""
        return _help_option(super().get_help_option(ctx))

    def get_short_help_str(self, limit: int = 45) -> str:
        """Return the whole first paragraph of the help: click would cut it at `limit` characters (« des... »)."""
        return self.short_help or " ".join((self.help or "").split("\n\n")[0].split())


def _usage_message(error: click.UsageError) -> str:
    """Return click's usage error in French."""
    if isinstance(error, click.NoSuchOption):
        close = f" ; vouliez-vous dire {', '.join(error.possibilities)} ?" if error.possibilities else ""
        text = f"option inconnue « {error.option_name} »{close}"
    elif isinstance(error, click.MissingParameter):
        name = error.param.human_readable_name if error.param else "?"
        text = f"argument manquant : {name}"
    elif isinstance(error, click.BadParameter):
        where = error.param_hint or (error.param.get_error_hint(error.ctx) if error.param and error.ctx else "")
        message = error.message
        if error.param is not None and isinstance(error.param.type, click.Choice):
            message = "valeurs possibles : " + ", ".join(map(str, error.param.type.choices))
        text = f"valeur invalide pour {where} : {message}"
    elif error.message.startswith("No such command"):
        import difflib

        name = error.message.removeprefix("No such command").strip(" .'\"")
        group = error.ctx.command if error.ctx else None
        commands = list(group.list_commands(error.ctx)) if isinstance(group, click.Group) and error.ctx else []
        similar = difflib.get_close_matches(name, commands, n=1)
        text = f"commande inconnue « {name} »" + (f" ; vouliez-vous dire « {similar[0]} » ?" if similar else
                                                   " ; commandes : " + ", ".join(commands))
    else:
        text = str(error.message)
    command = error.ctx.command_path if error.ctx else "astre"
    return f"{command} : {text}\nAide : {command} --help"


class _Group(_Command, click.Group):
    """Turns expected errors into French messages and exit codes; bugs keep their traceback."""

    command_class = _Command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AstreError as error:
            _fail(error)

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        """Run the command line; usage errors are reported in French with exit code 2."""
        try:
            result = super().main(*args, standalone_mode=False, **kwargs)  # type: ignore[call-overload]
        except click.UsageError as error:
            click.echo(_usage_message(error), err=True)
            sys.exit(2)
        except click.Abort:
            click.echo("astre : interrompu.", err=True)
            sys.exit(1)
        if standalone_mode:
            sys.exit(result if isinstance(result, int) else 0)
        return result


def _config(ctx: click.Context) -> Any:
    from .reading.config import load_config

    return load_config(ctx.obj["config_path"])


@click.group("astre", cls=_Group, context_settings=CONTEXT, subcommand_metavar="COMMANDE [ARGUMENTS]...")
@click.version_option(__version__, "--version", message="astre %(version)s", help="Afficher la version et quitter.")
@click.option("-f", "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), metavar="FICHIER",
              help="Fichier de configuration (par défaut : astre.yaml du dossier courant ou d'un parent).")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None) -> None:
    """astre : dossiers ASTRE, vérifications et documents pour le Département."""  # noqa: D403 (help text)
    ctx.ensure_object(dict)
    ctx.obj["config_path"] = config_path


DATE_OPTION = click.option("--date", "today", callback=_date, metavar="AAAA-MM-JJ",
                           help="Date du jour à utiliser (par défaut : aujourd'hui).")


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path), metavar="[CHEMIN]...")
@click.option("--format", "fmt", type=click.Choice(["texte", "json"]), default="texte",
              help="Format du rapport : texte (par défaut) ou json (pour les programmes).")
@click.option("--strict", is_flag=True, help="Traiter les avertissements comme des erreurs.")
@click.option("--for", "form_id", metavar="DOCUMENT", help="Lister ce qui manque pour produire ce document.")
@click.option("--pre-commit", "hook", is_flag=True,
              help="Mode pre-commit : ne garder, parmi les fichiers donnés, que ceux des dossiers (cases_dir) ; "
                   "un brouillon passe (ce qui n'est pas encore rempli ne bloque pas), une erreur non.")
@DATE_OPTION
@click.pass_context
def check(ctx: click.Context, paths: tuple[Path, ...], fmt: str, strict: bool, form_id: str | None,
          hook: bool, today: date) -> None:
    """Vérifier les dossiers (tous par défaut) et signaler chaque problème."""
    from .checking.check import check as run_check
    from .checking.check import format_json, format_text
    from .reading.config import check_letterhead

    try:
        config = _config(ctx)
        if not hook:  # a commit holds no document: the letterhead may be filled in later
            check_letterhead(config)  # every document prints it: a case is not « en ordre » without it
    except ConfigError as error:
        if fmt == "json":
            import json

            click.echo(json.dumps({"erreur": str(error), "problemes": [p.format() for p in error.problems]},
                                  ensure_ascii=False))
            sys.exit(error.exit_code)
        raise
    if hook:  # pre-commit passes every staged YAML file: only the cases' ones are checked
        cases = config.cases_dir.resolve()
        paths = tuple(p for p in paths if p.is_file() and p.resolve().is_relative_to(cases))
        if not paths:
            sys.exit(0)
    result = run_check(config, list(paths), today, keep_documents=bool(form_id), draft=hook)
    if form_id:
        from .documents.forms import readiness_problems

        for case in result.cases:
            case.problems.extend(readiness_problems(config.resources, case, form_id))
    click.echo(format_json(result, config.root) if fmt == "json" else format_text(result, config.root))
    sys.exit(1 if result.errors or (strict and result.warnings) else 0)


@cli.command()
@click.argument("case_id", metavar="IDENTIFIANT")
@click.pass_context
def new(ctx: click.Context, case_id: str) -> None:
    """Créer un nouveau dossier IDENTIFIANT avec des fichiers commentés à remplir."""
    from .checking.check import relative
    from .scaffold.editor import schemas_dir
    from .scaffold.scaffold import new_case

    config = _config(ctx)
    target = new_case(config.resources, config.cases_dir, case_id, lambda: schemas_dir(config))
    shown = relative(target, config.root)
    click.echo(f"Dossier créé : {shown}\nRetirez le « # » des champs que vous connaissez, remplissez-les, puis "
               f"lancez « {command('check', shown)} ».")


@cli.command()
@click.argument("folder", type=click.Path(path_type=Path), default=".", metavar="[DOSSIER]")
@click.option("--nom", "name", metavar="TEXTE", help="Nom de la structure (en-tête des documents).")
@click.option("--exemple", "example", is_flag=True, help="Ajouter un dossier d'exemple (lefebvre-2026).")
@click.option("--depot", metavar="URL",
              help="Dépôt git d'astre pour pre-commit (par défaut : celui de l'installation).")
@click.option("--source", metavar="SOURCE", help="D'où le Makefile installe astre (dépôt git ou fichier .whl).")
@click.option("--version-astre", "version", metavar="X.Y.Z", help="Version d'astre du dépôt (celle-ci par défaut).")
@click.option("--dossier-existant", "existing", is_flag=True,
              help="Compléter un dossier qui n'est pas vide (aucun fichier existant n'est remplacé).")
def init(folder: Path, name: str | None, example: bool, depot: str | None, source: str | None,
         version: str | None, existing: bool) -> None:
    """Créer le dépôt d'une structure : astre.yaml, cases/, Makefile, pre-commit, VS Code."""
    from .scaffold.project import init as run_init
    from .scaffold.project import relative

    created = run_init(folder, name=name, depot=depot, source=source, example=example, existing=existing,
                       version=version)
    for path in relative(created.written, folder):
        click.echo(f"Créé : {path}")
    for path in relative(created.kept, folder):
        click.echo(f"Gardé tel quel (existe déjà) : {path}")
    for warning in created.warnings:
        click.echo(f"Attention : {warning}", err=True)
    click.echo(f"Dépôt prêt dans {folder}. Complétez astre.yaml (nom, adresse), puis : cd {folder} && make docs")


@cli.command()
@click.option("--version-attendue", "expected", metavar="X.Y.Z", help="Version que le Makefile demande.")
@click.pass_context
def upgrade(ctx: click.Context, expected: str | None) -> None:
    """Mettre le dépôt de la structure à la version installée (schémas de l'éditeur, pre-commit)."""
    from .scaffold.project import relative
    from .scaffold.project import upgrade as run_upgrade

    root = _config(ctx).root
    notes: list[str] = []
    changed = run_upgrade(root, expected=expected, notes=notes)
    for path in relative(changed, root):
        click.echo(f"Mis à jour : {path}")
    for note in notes:
        click.echo(f"Non mis à jour : {note}")
    if not changed and not notes:
        click.echo(f"Dépôt à jour (astre {__version__}).")


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path), metavar="[CHEMIN]...")
@click.option("--polling", is_flag=True,
              help="Relire les fichiers toutes les 0,5 s au lieu des notifications du système "
                   "(dossiers réseau, partages Windows).")
@click.pass_context
def watch(ctx: click.Context, paths: tuple[Path, ...], polling: bool) -> None:
    """Regénérer les documents à chaque enregistrement d'un fichier (tous les dossiers par défaut)."""
    from .watch.watch import watch as run_watch

    sys.exit(run_watch(ctx.obj["config_path"], list(paths), polling=polling, echo=click.echo))


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path), metavar="[CHEMIN]...")
@click.option("--format", "fmt", type=click.Choice(["texte", "json"]), default="texte",
              help="Format de la liste : texte (par défaut) ou json (pour les programmes).")
@click.option("--ics", "ics_path", type=click.Path(dir_okay=False, path_type=Path), metavar="FICHIER",
              help="Écrire aussi toutes les échéances dans ce fichier agenda (.ics, Outlook, Thunderbird), "
                   "dans le dossier de sortie.")
@DATE_OPTION
@click.pass_context
def status(ctx: click.Context, paths: tuple[Path, ...], fmt: str, ics_path: Path | None, today: date) -> None:
    """Afficher ce qui est dû ou en retard sur chaque dossier, le plus urgent d'abord."""
    from .documents.writer import output_lock, write_atomic
    from .followup.status import calendar_target, collect, format_json, format_text, to_ics

    config = _config(ctx)
    # Like every output, the calendar goes into the output folder, over none of astre's documents.
    target = None if ics_path is None else calendar_target(config, str(ics_path))
    result = collect(config, list(paths), today)
    click.echo(format_json(result) if fmt == "json" else format_text(result))
    if target is not None:
        with output_lock(config.output_dir):
            write_atomic(target, to_ics(result).encode("utf-8"))
        if fmt != "json":
            click.echo(f"Agenda écrit : {target} ({len(result.items)} échéance(s))")


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path), metavar="[CHEMIN]...")
@click.option("--force", is_flag=True, help="Tout reconstruire, même les documents à jour.")
@click.option("--document", "forms", multiple=True, metavar="DOCUMENT",
              help="Ne construire que ce document (répétable), par exemple « contrat ».")
@click.option("-j", "--jobs", type=click.IntRange(1), metavar="N", show_choices=False,
              help="Nombre de processus, au moins 1 (par défaut : un par cœur).")
@DATE_OPTION
@click.pass_context
def build(ctx: click.Context, paths: tuple[Path, ...], force: bool, forms: tuple[str, ...], jobs: int | None,
          today: date) -> None:
    """Construire les documents (DOCX et PDF) des dossiers, seulement ceux qui ont changé."""
    from .engine.build import build as run_build

    summary = run_build(_config(ctx), list(paths) or None, forms=list(forms) or None, force=force, jobs=jobs,
                        today=today, progress=_ProgressBar() if sys.stderr.isatty() else None)
    click.echo(summary.format(), err=not summary.ok)
    sys.exit(0 if summary.ok else 1)


class _ProgressBar:
    """click's progress bar over the cases being built, on a terminal only (a pipe or a log gets none)."""

    def __init__(self) -> None:
        self._bar: Any = None

    def __call__(self, done: int, total: int, case_id: str) -> None:
        """Move the bar to `done` of `total` cases, naming the case just built."""
        if self._bar is None:
            self._bar = click.progressbar(length=total, label="Construction des documents", file=sys.stderr,
                                          show_pos=True, show_eta=False, item_show_func=lambda case: case)
            self._bar.__enter__()
        if done:
            self._bar.update(1, case_id)
        if done == total:
            self._bar.__exit__(None, None, None)


def _period(config: Any, year: int | None, start: date | None, end: date | None) -> Any:
    from .followup.indicators import Period

    if year is not None:
        return Period(date(year, 1, 1), date(year, 12, 31))
    default_start, default_end = config.period()
    period = Period(start or default_start, end or default_end)
    if period.end < period.start:
        raise click.BadParameter("la fin de la période est avant son début", param_hint="--fin")
    return period


def _day(ctx: Any, param: Any, value: str | None) -> date | None:
    return None if value is None else _date(ctx, param, value)


PERIOD_OPTIONS = [
    click.option("--debut", "start", callback=_day, metavar="AAAA-MM-JJ",
                 help="Début de la période (par défaut : période du programme dans astre.yaml)."),
    click.option("--fin", "end", callback=_day, metavar="AAAA-MM-JJ", help="Fin de la période."),
]


@cli.command()
@click.option("--year", "--annee", "year", callback=_year, metavar="AAAA",
              help="Année civile du rapport (par défaut : période du programme dans astre.yaml).")
@PERIOD_OPTIONS[0]
@PERIOD_OPTIONS[1]
@DATE_OPTION
@click.pass_context
def report(ctx: click.Context, year: int | None, start: date | None, end: date | None, today: date) -> None:
    """Produire le rapport d'activité, l'état de financement et l'export pour le Département."""
    from .followup.report import build_report

    config = _config(ctx)
    written, inputs = build_report(config, _period(config, year, start, end), today)
    _written_and_excluded(ctx, config, written, inputs.invalid)


def _written_and_excluded(ctx: click.Context, config: Any, written: list[str],
                          invalid: list[tuple[str, str]]) -> None:
    """List the files written, then the excluded cases on stderr; exit 1 when a case was left out."""
    for name in written:
        click.echo(f"Écrit : {config.output_dir / name}")
    for case_id, reason in invalid:
        click.echo(f"Dossier exclu : {case_id} ({reason}) — lancez « {command('check', case_id)} »", err=True)
    if invalid:
        click.echo(f"astre : {counted(len(invalid), 'dossier')} exclu{plural(len(invalid))} : les documents "
                   "sont écrits mais incomplets ; corrigez puis relancez", err=True)
        ctx.exit(1)


@cli.command()
@PERIOD_OPTIONS[0]
@PERIOD_OPTIONS[1]
@DATE_OPTION
@click.pass_context
def financement(ctx: click.Context, start: date | None, end: date | None, today: date) -> None:
    """Produire l'état récapitulatif de financement de la période (PDF et DOCX)."""
    from .followup.report import build_funding

    config = _config(ctx)
    written, inputs = build_funding(config, _period(config, None, start, end), today)
    _written_and_excluded(ctx, config, written, inputs.invalid)


@cli.command()
@click.option("--renouveler", "renew", is_flag=True,
              help="Remplacer le secret existant (tous les pseudonymes des exports changent).")
@click.pass_context
def secret(ctx: click.Context, renew: bool) -> None:
    """Créer le secret de pseudonymisation des exports (.astre-salt), une fois par structure."""
    from .followup.export import create_salt

    path = create_salt(_config(ctx).root, renew)
    click.echo(f"Secret écrit : {path}\nVersionnez-le avec les dossiers (git add {path.name}) ; "
               "ne l'envoyez jamais au Département.")


# What a console that cannot show a character gets instead (then the letter without its accent, then « ? »).
_CONSOLE_FALLBACKS = {"→": "->", "«": '"', "»": '"', "’": "'", "—": "-", "–": "-", "…": "...", "€": "EUR",
                      "\u202f": " ", "\xa0": " "}


def _console_fallback(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: an ASCII stand-in for each character the console's encoding lacks."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    import unicodedata

    def stand_in(char: str) -> str:
        plain = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode("ascii")
        return _CONSOLE_FALLBACKS.get(char) or plain or "?"

    return "".join(map(stand_in, error.object[error.start:error.end])), error.end


def safe_console() -> None:
    """Never fail on a character the console cannot show (a cp1252 pipe on Windows: « → », U+202F).

    Python writes to a Windows console in UTF-16, but to a pipe (pre-commit, a redirection)
    in the system's encoding; a character it lacks would end the command with a traceback.
    """
    import codecs

    codecs.register_error("astre-console", _console_fallback)
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        encoding = getattr(stream, "encoding", None) or "ascii"
        if reconfigure is not None and codecs.lookup(encoding).name != "utf-8":
            reconfigure(errors="astre-console")


@cli.command()
@click.option("--port", callback=_port, default="8765", metavar="N",
              help="Port local, 8765 par défaut (0 : un port libre au hasard).")
@click.option("--no-browser", "--sans-navigateur", "no_browser", is_flag=True,
              help="Ne pas ouvrir le navigateur (l'adresse à ouvrir est affichée).")
@click.pass_context
def serve(ctx: click.Context, port: int, no_browser: bool) -> None:
    """Ouvrir l'espace de travail dans le navigateur : dossiers, formulaires, documents, historique."""
    from .serve.app import serve as run_serve

    run_serve(_config(ctx), port, browser=not no_browser, echo=click.echo)


@cli.command()
@click.option("--document", "documents", multiple=True, metavar="DOCUMENT",
              help="Seulement ce document (répétable), par exemple « contrat ».")
@click.pass_context
def modeles(ctx: click.Context, documents: tuple[str, ...]) -> None:
    """Écrire les modèles Word et HTML d'astre dans templates/ pour les retoucher (sans rien écraser)."""
    from .documents.layout import write_defaults
    from .followup.report import FUNDING, REPORT
    from .reading.forms import load_forms

    config = _config(ctx)
    names = [(f.layout, f.docx, f.html, "") for f in load_forms(config.resources, list(documents) or None)]
    if not documents:
        names += [(*REPORT, "report"), (*FUNDING, "report")]
    target = config.resources.override_dir("templates") or config.root / "templates"
    written = write_defaults(config.resources, target, names)
    for path in written:
        click.echo(f"Écrit : {path}")
    click.echo(f"{len(written)} modèle(s) écrit(s) dans {target} ; un fichier déjà là n'est jamais remplacé. "
               "Ces fichiers remplacent désormais la mise en page d'astre (forms/mises-en-page/) pour ces "
               "documents : supprimez-les pour y revenir.")


def main() -> None:
    """Entry point of the `astre` console script."""
    safe_console()
    try:
        cli(prog_name="astre")
    except OSError as error:
        if error.errno not in _OUTPUT_ERRNOS:
            raise
        _output_failed(error)


def _output_failed(error: OSError) -> None:
    """Say in French that the terminal or file astre prints to refused the text (`check > /dev/full`)."""
    import errno
    import os

    reason = {errno.ENOSPC: "disque plein", errno.EPIPE: "la commande qui lisait la sortie s'est arrêtée"
              }.get(error.errno or 0, "erreur d'écriture")
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # nothing more to flush at exit into the failing output
    except (OSError, ValueError):
        pass
    try:
        sys.stderr.write(f"astre : impossible d'écrire le résultat ({reason}) — libérez de la place ou écrivez "
                         "dans un autre fichier, puis relancez\n")
    except OSError:
        pass
    sys.exit(1)


def _errnos(*names: str) -> frozenset[int]:
    import errno

    return frozenset(getattr(errno, name) for name in names if hasattr(errno, name))


# Errors of the output astre prints to (stdout): a full disk, a closed pipe, a quota.
_OUTPUT_ERRNOS = _errnos("ENOSPC", "EPIPE", "EDQUOT", "EIO")
