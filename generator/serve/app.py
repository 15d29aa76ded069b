"""The web application and its routes: each calls astre's stages and formats their results as a page.

Like the command line, the server is one more client of the package: the list of cases
uses the obligations of `astre status`, a case's messages are `astre check`'s, a document's
readiness is `astre check --for`'s, a build is `astre build` of one case and one form (in
this process: WeasyPrint stays loaded between two previews), a new case is `astre new`.
Every page works without scripts; static/serve.js only adds live checks.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import jinja2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..errors import AstreError, Problem, SaveConflictError, YamlError
from ..reading.cases import CASE_FILES, CASE_ID
from ..reading.config import Config
from ..reading.loader import load_text, read_text
from ..reading.validate import schema as load_schema
from ..scaffold.editor import schemas_dir
from ..scaffold.scaffold import skeleton
from . import formschema, gitops, workspace, yamlsave
from .security import CSRF_FIELD, Guard, Secrets

HERE = Path(__file__).parent
DOCUMENT_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,80}$")
TEXTS_KEPT = 200  # texts of files shown in forms, to show what changed on disk since (conflicts)
AUTHOR_COOKIE = "astre_referent"


class Refused(Exception):
    """A request names something that does not exist or is not allowed (answered 404 or 403)."""

    def __init__(self, message: str, status: int = 404) -> None:  # noqa: D107
        super().__init__(message)
        self.status = status


@dataclass
class Workspace:
    """What the server knows between requests: the configuration, its secrets, the texts it showed."""

    config: Config
    keys: Secrets = field(default_factory=Secrets)
    shown: OrderedDict[str, str] = field(default_factory=OrderedDict)

    def remember(self, text: str) -> str:
        """Keep a text a form shows (to show later what changed on disk since); return its digest."""
        key = yamlsave.digest(text)
        self.shown[key] = text
        self.shown.move_to_end(key)
        while len(self.shown) > TEXTS_KEPT:
            self.shown.popitem(last=False)
        return key

    def case_folder(self, case_id: str) -> Path:
        """Return the folder of a case named in a URL; refuse a bad id or a folder outside the cases."""
        if not CASE_ID.fullmatch(case_id):
            raise Refused("identifiant de dossier invalide")
        cases = self.config.cases_dir.resolve()
        folder = (cases / case_id).resolve()
        if folder.parent != cases or not folder.is_dir():
            raise Refused(f"dossier « {case_id} » introuvable")
        return folder


def _file_name(name: str) -> str:
    if name not in CASE_FILES:
        raise Refused(f"fichier « {name} » inconnu")
    return name


def create_app(config: Config, keys: Secrets | None = None, hosts: set[str] | None = None) -> Any:
    """Return the ASGI application serving `config`'s cases, behind its guard."""
    work = Workspace(config, keys or Secrets())
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.globals["file_titles"] = {name: load_schema(config.resources, name).get("title", name) for name in CASE_FILES}

    def page(template: str, status: int = 200, **values: Any) -> HTMLResponse:
        html = env.get_template(template).render(csrf=work.keys.csrf, csrf_field=CSRF_FIELD,
                                             structure=config.structure.name, **values)
        return HTMLResponse(html, status_code=status)

    async def posted(request: Request) -> Any:
        form = await request.form()
        if not work.keys.csrf_ok(form.get(CSRF_FIELD)):
            raise Refused("formulaire expiré ou venu d'ailleurs : rechargez la page", status=403)
        return form

    # ------------------------------------------------------------ the cases

    async def index(request: Request) -> Response:
        query = request.query_params.get("q", "")
        rows = workspace.case_rows(config, date.today(), query)
        return page("index.html", rows=rows, query=query, today=date.today(), error=None, new_id="")

    async def new(request: Request) -> Response:
        from ..scaffold.scaffold import new_case

        form = await posted(request)
        case_id = str(form.get("identifiant", "")).strip()
        try:
            new_case(config.resources, config.cases_dir, case_id, lambda: schemas_dir(config))
        except AstreError as e:
            rows = workspace.case_rows(config, date.today())
            return page("index.html", 422, rows=rows, query="", today=date.today(), error=str(e), new_id=case_id)
        return RedirectResponse(f"/dossiers/{case_id}/mesure?nouveau=1", status_code=303)

    # ------------------------------------------------------------ one case file as a form

    def file_page(case_id: str, name: str, *, data: Any = None, text: str | None = None, problems: list[Problem]
                  | None = None, status: int = 200, notice: str = "", conflict: str = "", digest: str = "",
                  action: str = "") -> Response:
        from ..checking.check import check_case

        folder = work.case_folder(case_id)
        case = check_case(folder, config, date.today())
        path = folder / f"{name}.yaml"
        if text is None:
            text = read_text(path) if path.exists() else ""
        by_file = workspace.problems_by_file(case)
        unreadable = None
        if data is None:
            try:
                data = load_text(path, text).data
            except YamlError as e:
                unreadable, data = e.problem, None
        if name == "mesure" and unreadable is None and not (data or {}).get("identifiant"):
            # The case's identifier is its folder's name (astre new leaves it commented, like every field).
            data = {"identifiant": case_id, **(data or {})}
        fields = formschema.build(config.resources, name, data)
        left = formschema.attach(fields, by_file.get(name, []) if problems is None else problems)
        summary = [m for f in fields for m in f.all_messages]
        return page("dossier.html", status, case_id=case_id, name=name, fields=fields, left=left, summary=summary,
                    focus=formschema.focus_after(fields, action),
                    digest=digest or work.remember(text), notice=notice, conflict=conflict, unreadable=unreadable,
                    counts={n: sum(p.severity == "erreur" for p in by_file.get(n, [])) for n in CASE_FILES},
                    documents=workspace.documents(case, config), present={n for n in CASE_FILES
                                                                           if (folder / f"{n}.yaml").exists()},
                    title=load_schema(config.resources, name).get("title", name),
                    description=load_schema(config.resources, name).get("description", ""))

    async def case_home(request: Request) -> Response:
        work.case_folder(request.path_params["case"])
        return RedirectResponse(f"/dossiers/{request.path_params['case']}/mesure", status_code=303)

    async def show_file(request: Request) -> Response:
        name = _file_name(request.path_params["name"])
        notice = "Enregistré." if request.query_params.get("enregistre") else (
            "Dossier créé : remplissez chaque rubrique ; vous pouvez enregistrer un brouillon incomplet."
            if request.query_params.get("nouveau") else "")
        return file_page(request.path_params["case"], name, notice=notice)

    async def save_file(request: Request) -> Response:
        case_id, name = request.path_params["case"], _file_name(request.path_params["name"])
        folder = work.case_folder(case_id)
        form = await posted(request)
        data = formschema.parse(config.resources, name, form)
        digest = str(form.get("_digest", ""))
        action = str(form.get("_action", ""))
        if action:  # a list button: the form comes back with the item added, removed or moved, nothing written
            return file_page(case_id, name, data=formschema.apply_action(data, action), problems=[], digest=digest,
                             action=action)
        path = folder / f"{name}.yaml"
        blank = "" if path.exists() else skeleton(config.resources, name, folder, schemas_dir(config))
        try:
            saved = yamlsave.save(config.resources, path, digest, formschema.prune(data), name, blank)
        except SaveConflictError as e:
            before = work.shown.get(digest)
            diff = yamlsave.unified_diff(before, e.current, path.name) if before is not None else ""
            return file_page(case_id, name, data=data, problems=[], status=409, conflict=str(e) + ("\n" + diff
                             if diff else ""), digest=digest)
        except YamlError as e:
            return file_page(case_id, name, data=data, problems=[e.problem], status=422, digest=digest)
        if saved.text is None:
            return file_page(case_id, name, data=data, problems=saved.problems, status=422, digest=digest,
                             notice="Rien n'a été enregistré : corrigez les valeurs signalées.")
        return RedirectResponse(f"/dossiers/{case_id}/{name}?enregistre=1", status_code=303)

    async def live_check(request: Request) -> Response:
        case_id, name = request.path_params["case"], _file_name(request.path_params["name"])
        path = work.case_folder(case_id) / f"{name}.yaml"
        form = await posted(request)
        data = formschema.prune(formschema.parse(config.resources, name, form))
        current = read_text(path) if path.exists() else ""
        problems = yamlsave.check_text(config.resources, path, yamlsave.render(path, current, data), name)
        fields = formschema.build(config.resources, name, data)
        left = formschema.attach(fields, problems)
        found: dict[str, list[str]] = {}
        for one in fields:
            found.update(one.messages_by_id())
        return JSONResponse({"champs": found, "autres": [p.message for p in left]})

    # ------------------------------------------------------------ documents

    def documents_page(case_id: str, status: int = 200, notice: str = "", error: str = "",
                       preview: str = "") -> Response:
        from ..checking.check import check_case

        folder = work.case_folder(case_id)
        case = check_case(folder, config, date.today())
        states = workspace.documents(case, config)
        out = config.output_dir / case_id
        stamp = {n: int((out / f"{n}.pdf").stat().st_mtime_ns) for s in states for n in s.outputs}
        envois = load_schema(config.resources, "envois")
        recipients = envois["properties"]["envois"]["items"]["properties"]["destinataires"]["items"]
        from ..scaffold.editor import enum_labels

        return page("documents.html", status, case_id=case_id, states=states, notice=notice, error=error,
                    preview=preview if preview in stamp else "", stamp=stamp, today=date.today().isoformat(),
                    recipients=list(zip(recipients["enum"],
                                        enum_labels(config.resources, "destinataires", recipients["enum"]),
                                        strict=True)))

    async def show_documents(request: Request) -> Response:
        return documents_page(request.path_params["case"], notice=request.query_params.get("message", ""),
                              preview=request.query_params.get("apercu", ""))

    async def build_form(request: Request) -> Response:
        case_id, form_id = request.path_params["case"], request.path_params["form"]
        folder = work.case_folder(case_id)
        await posted(request)
        from ..reading.forms import form_ids

        if form_id not in form_ids(config.resources):
            raise Refused(f"document « {form_id} » inconnu")
        try:
            summary = workspace.build_document(config, folder, form_id, date.today())
        except AstreError as e:
            return documents_page(case_id, 422, error=_said(e))
        if not summary.ok:
            return documents_page(case_id, 422, error="\n".join(line for f in summary.failures for line in f.lines()))
        states = {s.form_id: s for s in workspace.documents(workspace_case(folder), config)}
        first = states[form_id].outputs[:1]
        said = "\n".join([*(why for _, why in summary.warnings),
                          *(f"Copie envoyée gardée telle qu'envoyée : {path}.pdf (à enregistrer dans l'historique)"
                            for path in (p.with_suffix("") for p in summary.kept))])
        target = f"/dossiers/{case_id}/documents?apercu={first[0] if first else ''}&message={_q(said)}"
        return RedirectResponse(target, status_code=303)

    def workspace_case(folder: Path) -> Any:
        from ..checking.check import check_case

        return check_case(folder, config, date.today())

    async def document_file(request: Request) -> Response:
        case_id, name, ext = (request.path_params[k] for k in ("case", "document", "ext"))
        work.case_folder(case_id)
        if not DOCUMENT_NAME.fullmatch(name) or ext not in ("pdf", "docx"):
            raise Refused("document inconnu")
        path = config.output_dir / case_id / f"{name}.{ext}"
        if not path.is_file():
            raise Refused("document pas encore construit : cliquez sur « Construire »")
        media = "application/pdf" if ext == "pdf" else \
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        disposition = "inline" if ext == "pdf" and "telecharger" not in request.query_params else "attachment"
        return FileResponse(path, media_type=media, filename=path.name, content_disposition_type=disposition)

    async def record_sending(request: Request) -> Response:
        case_id = request.path_params["case"]
        folder = work.case_folder(case_id)
        form = await posted(request)
        try:
            kept = workspace.record_sending(config, folder, str(form.get("document", "")), str(form.get("date", "")),
                                            [str(v) for v in form.getlist("destinataires")], date.today())
        except AstreError as e:
            return documents_page(case_id, 422, error=_said(e))
        message = "Envoi enregistré dans envois.yaml" + (f" ; copie gardée : {', '.join(kept)}" if kept else "")
        return RedirectResponse(f"/dossiers/{case_id}/documents?message={_q(message)}", status_code=303)

    # ------------------------------------------------------------ history (git)

    def history_page(request: Request, case_id: str, status: int = 200, notice: str = "", error: str = "") -> Response:
        folder = work.case_folder(case_id)
        changes = gitops.changes(config.root, folder)
        author = request.cookies.get(AUTHOR_COOKIE) or (gitops.user_name(config.root) if changes.repository else "")
        return page("historique.html", status, case_id=case_id, changes=changes, notice=notice, error=error,
                    author=author or "", remote=changes.repository and gitops.has_remote(config.root))

    async def show_history(request: Request) -> Response:
        return history_page(request, request.path_params["case"], notice=request.query_params.get("message", ""))

    async def commit(request: Request) -> Response:
        case_id = request.path_params["case"]
        folder = work.case_folder(case_id)
        form = await posted(request)
        author = str(form.get("auteur", "")).strip()[:100] or None
        message = str(form.get("message", "")).strip()[:500] or f"Dossier {case_id} : mise à jour"
        try:
            short = gitops.commit(config.root, folder, message, author)
        except AstreError as e:
            return history_page(request, case_id, 422, error=str(e))
        done = f"Enregistré dans l'historique ({short})."
        response = RedirectResponse(f"/dossiers/{case_id}/historique?message={_q(done)}", status_code=303)
        if author:
            response.set_cookie(AUTHOR_COOKIE, author, httponly=True, samesite="strict", max_age=3600 * 24 * 365)
        return response

    async def synchronise(request: Request) -> Response:
        case_id = request.path_params["case"]
        work.case_folder(case_id)
        await posted(request)
        try:
            report = gitops.synchronise(config.root)
        except AstreError as e:
            return history_page(request, case_id, 409, error=str(e))
        return RedirectResponse(f"/dossiers/{case_id}/historique?message={_q(report)}", status_code=303)

    routes = [
        Route("/", index),
        Route("/nouveau", new, methods=["POST"]),
        Route("/dossiers/{case}", case_home),
        Route("/dossiers/{case}/documents", show_documents),
        Route("/dossiers/{case}/documents/{form}/construire", build_form, methods=["POST"]),
        Route("/dossiers/{case}/fichiers/{document}.{ext}", document_file),
        Route("/dossiers/{case}/envois", record_sending, methods=["POST"]),
        Route("/dossiers/{case}/historique", show_history),
        Route("/dossiers/{case}/historique", commit, methods=["POST"]),
        Route("/dossiers/{case}/synchroniser", synchronise, methods=["POST"]),
        Route("/dossiers/{case}/{name}", show_file),
        Route("/dossiers/{case}/{name}", save_file, methods=["POST"]),
        Route("/dossiers/{case}/{name}/verifier", live_check, methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]

    def refused(request: Request, exc: Exception) -> Response:
        if isinstance(exc, Refused):
            return page("erreur.html", exc.status, message=str(exc))
        status = getattr(exc, "status_code", 500)
        message = {404: "page introuvable", 405: "cette adresse ne s'ouvre pas ainsi : revenez à la liste des dossiers"
                   }.get(status, "erreur inattendue d'astre : rien n'a été enregistré ; rechargez la page, et si "
                         "elle revient, notez ce que vous faisiez et signalez-le")
        return page("erreur.html", status, message=message)

    # Every answer in French: astre's refusals, the pages that do not exist, a wrong method, an unexpected error.
    app = Starlette(routes=routes, exception_handlers={Refused: refused, 404: refused, 405: refused,
                                                        500: refused})
    return Guard(app, work.keys, hosts or set())


def _said(error: AstreError) -> str:
    """Return an error's French message with its located problems, one per line."""
    return "\n".join([str(error), *(p.format() for p in getattr(error, "problems", []))])


def _q(text: str) -> str:
    from urllib.parse import quote

    return quote(text)


def serve(config: Config, port: int, *, browser: bool, echo: Any = print) -> None:
    """Serve `config`'s cases on 127.0.0.1:`port` until interrupted; open the browser on the URL with its token."""
    import socket
    import threading
    import webbrowser

    import uvicorn

    from .security import HOST, allowed_hosts

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((HOST, port))
    except OSError as e:
        from ..errors import UsageError

        raise UsageError(f"le port {port} est déjà pris (un autre « astre serve » ?) : relancez avec « --port » "
                         "suivi d'un autre numéro, par exemple --port 8766") from e
    listener.listen(128)  # connections made before uvicorn starts wait in the backlog
    port = listener.getsockname()[1]
    keys = Secrets()
    app = create_app(config, keys, allowed_hosts(port))
    url = f"http://{HOST}:{port}/?token={keys.token}"
    echo(f"astre serve : {url}\nOuvrez cette adresse dans votre navigateur (elle contient un jeton secret : "
         "ne la partagez pas). Arrêt : Ctrl+C.")
    # WeasyPrint and docxtpl load once, while the référent looks at the list: the first preview is then fast.
    threading.Thread(target=_warm, daemon=True).start()
    if browser:
        threading.Timer(0.5, webbrowser.open, args=(url,)).start()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    server.run(sockets=[listener])


def _warm() -> None:
    from ..documents import render_docx, render_pdf  # noqa: F401
