"""PDF rendering with WeasyPrint from HTML/CSS templates, fetching only our own assets."""

from __future__ import annotations

import os
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from ..reading.resources import Resources
from .pango import missing_pango
from .templating import make_environment, rendering

try:
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import URLFetcher, URLFetcherResponse
except OSError as e:  # WeasyPrint loads Pango when imported: a missing library is said in French
    raise missing_pango() from e

PDF_VARIANT = "pdf/a-3b"
# fontTools stamps the fonts it rewrites (the emoji font, stripped of its bitmaps) with
# the current time unless SOURCE_DATE_EPOCH is set: fix it (1980-01-01, like our zips)
# so that the same inputs give the same PDF bytes. A value set by the caller is kept.
os.environ.setdefault("SOURCE_DATE_EPOCH", "315532800")
# The asset base: a made-up local URL, so relative links resolve to names we serve.
ASSET_BASE = "file:///astre-assets/"


class AssetFetcher(URLFetcher):
    """Serve only files of the allowed asset folders (and the logo); refuse anything else.

    No http(s), no data:, no file outside the folders: a text field holding
    `<img src="file:///etc/passwd">` is escaped anyway, and would fetch nothing.
    """

    def __init__(self, folders: tuple[Path, ...], files: dict[str, Path]) -> None:
        """Serve the files of `folders`, plus `files` by exact name (the logo)."""
        super().__init__(allowed_protocols={"file"}, allow_redirects=False)
        self._folders = tuple(f.resolve() for f in folders)
        self._files = files

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        """Return the asset named by `url`, or raise ValueError (WeasyPrint skips it)."""
        parts = urlsplit(url)
        if parts.scheme != "file" or not parts.path.startswith("/astre-assets/"):
            raise ValueError(f"ressource refusée : {url[:80]}")
        name = unquote(parts.path.removeprefix("/astre-assets/"))
        if name in self._files:
            return URLFetcherResponse(url, self._files[name].read_bytes())
        for folder in self._folders:
            path = (folder / name).resolve()
            if path.is_relative_to(folder) and path.is_file():
                return URLFetcherResponse(url, _read(path, path.stat().st_mtime_ns))
        raise ValueError(f"ressource introuvable ou refusée : {name[:80]}")


@cache
def _read(path: Path, mtime_ns: int) -> bytes:  # keyed by time: an image edited while watching is read again
    return path.read_bytes()


@cache
def _fonts() -> FontConfiguration:
    return FontConfiguration()


@cache
def _stylesheet(path: Path, mtime_ns: int, fetcher: AssetFetcher) -> CSS:
    return CSS(string=path.read_text(encoding="utf-8"), base_url=ASSET_BASE, url_fetcher=fetcher,
               font_config=_fonts())


@cache
def _fetcher(folders: tuple[Path, ...], logo: str) -> AssetFetcher:
    return AssetFetcher(folders, {"logo.png": Path(logo)} if logo else {})


def render_pdf(sources: Resources, template: Path, search: tuple[Path, ...], stylesheet: Path | tuple[Path, ...],
               assets: tuple[Path, ...], context: dict[str, Any], when: date, title: str, author: str,
               source: str | None = None) -> bytes:
    """Return the PDF/A-3b bytes of an HTML template rendered with `context` (reproducible).

    `source`: the template's text when drawn from a layout (`template` is then the layout file, named in errors).
    """
    with rendering(template):
        # A structure's own HTML may extend or include astre's pieces (base.html…), drawn from the layouts.
        pieces = () if source is not None else _pieces(sources)
        environment = make_environment(*search, html=True, pieces=pieces)
        compiled = environment.from_string(source) if source is not None else environment.get_template(template.name)
        html = compiled.render(context)
    fetcher = _fetcher(assets, context["structure"].get("logo") or "")
    sheets = stylesheet if isinstance(stylesheet, tuple) else (stylesheet,)
    css = [_stylesheet(path, path.stat().st_mtime_ns, fetcher) for path in sheets]
    document = HTML(string=html, base_url=ASSET_BASE, url_fetcher=fetcher).render(
        stylesheets=css, font_config=_fonts(), pdf_variant=PDF_VARIANT)
    stamp = when.isoformat() + "T00:00:00Z"
    metadata = document.metadata
    metadata.created = metadata.modified = stamp
    metadata.title, metadata.authors, metadata.lang = title, [author], "fr"
    metadata.generator = "astre"
    return document.write_pdf(pdf_variant=PDF_VARIANT, pdf_tags=False)


def _pieces(sources: Resources) -> tuple[tuple[str, str], ...]:
    from .layout import html_pieces

    return html_pieces(sources)


def warm_up(stylesheet: Path, assets: tuple[Path, ...]) -> None:
    """Load the stylesheet and its fonts now (a long-lived process: the first real render is then fast)."""
    fetcher = _fetcher(assets, "")
    css = _stylesheet(stylesheet, stylesheet.stat().st_mtime_ns, fetcher)
    HTML(string="<p>astre</p>", base_url=ASSET_BASE, url_fetcher=fetcher).render(
        stylesheets=[css], font_config=_fonts()).write_pdf()
