"""Benchmark of `astre serve`: a case page, and a save followed by the updated PDF preview.

Usage: .venv/bin/python bench/bench_serve.py [--runs 15]

Starts the real server (`astre serve --no-browser --port 0`, its own process, as a
référent runs it) on a structure made by `astre init --exemple` in a temporary folder,
then, as the browser would (cookie, CSRF token, the whole form posted):

The example case's register of sendings is removed first (a document sent stays as
sent: its preview would not change).

1. case page: GET /dossiers/lefebvre-2026/menage (load and check the case, form from
   the schema, readiness of every document), N times;
2. save → preview: POST the form with a new household name (round-trip save, re-read,
   validation), POST « Construire » the fiche saisine (build in the server process:
   WeasyPrint already loaded), GET the PDF the preview shows. N times, one value each.

Prints the median and the slowest of each. Targets: page < 300 ms, save → PDF < 1 s.
"""

from __future__ import annotations

import argparse
import html.parser
import http.client
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).parent))
from synth import make_cases  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CASE = "lefebvre-2026"


class _Form(html.parser.HTMLParser):
    """The fields of the case form, as a browser would post them."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self._select: str | None = None
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "input" and a.get("name") and a.get("type") not in ("submit", "button"):
            if a.get("type") == "checkbox" and "checked" not in a:
                return
            self.fields.append((a["name"], a.get("value") or ""))
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select and "selected" in a:
            self.fields.append((self._select, a.get("value") or ""))
        elif tag == "textarea":
            self._textarea, self._text = a.get("name"), ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.fields.append((self._textarea, self._text.removeprefix("\n")))
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self._text += data


class Client:
    def __init__(self, base: str) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.connection = http.client.HTTPConnection(host, int(port), timeout=60)
        self.host = f"{host}:{port}"
        self.cookie = ""

    def request(self, method: str, path: str, body: dict | list | None = None) -> tuple[int, dict, bytes]:
        headers = {"Host": self.host, "Cookie": self.cookie}
        data = None
        if body is not None:
            data = urlencode(body).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, body=data, headers=headers)
        answer = self.connection.getresponse()
        content = answer.read()
        found = answer.getheader("set-cookie")
        if found:
            self.cookie = found.split(";")[0]
        return answer.status, dict(answer.getheaders()), content


def _ms(seconds: list[float]) -> str:
    return f"médiane {statistics.median(seconds) * 1000:.0f} ms, max {max(seconds) * 1000:.0f} ms (n={len(seconds)})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--dossiers", type=int, default=100, help="dossiers synthétiques ajoutés (page d'accueil)")
    args = parser.parse_args()
    runs = args.runs
    with tempfile.TemporaryDirectory(prefix="astre-bench-serve-") as work:
        root = Path(work) / "structure"
        subprocess.run([sys.executable, "-m", "generator", "init", "--exemple", "--nom", "Bench",
                        "--source", "x.whl", "--depot", "https://example.invalid/astre.git", str(root)],
                       check=True, capture_output=True, cwd=ROOT)
        config = root / "astre.yaml"
        config.write_text(config.read_text().replace('"Adresse de la structure (à compléter)"', "1 rue du Port")
                          .replace("# ville_signature:", "ville_signature:"))
        # The fiche saisine not sent yet: a sent document is kept as sent, its preview would not change.
        (root / "cases" / CASE / "envois.yaml").unlink()
        for kept in (root / "cases" / CASE / "envoyes").glob("fiche-saisine--*"):
            kept.unlink()
        # The list of cases: as many as a structure follows (synthetic, valid).
        for folder in (make_cases(Path(work) / "synth", args.dossiers) / "cases").iterdir():
            shutil.move(str(folder), root / "cases" / folder.name)
        server = subprocess.Popen([sys.executable, "-m", "generator", "serve", "--no-browser", "--port", "0"],
                                  cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            line = server.stdout.readline()
            found = re.search(r"(http://127\.0\.0\.1:\d+)/\?token=(\S+)", line)
            assert found, line
            client = Client(found.group(1))
            client.request("GET", f"/?token={found.group(2)}")
            started = time.perf_counter()
            status, _, _ = client.request("GET", "/")
            first_home = time.perf_counter() - started
            home = []
            for _ in range(runs):
                started = time.perf_counter()
                status, _, _ = client.request("GET", "/")
                home.append(time.perf_counter() - started)
                assert status == 200
            page = f"/dossiers/{CASE}/menage"
            pages = []
            client.request("GET", page)  # first load: imports, schema compilation
            for _ in range(runs):
                started = time.perf_counter()
                status, _, _ = client.request("GET", page)
                pages.append(time.perf_counter() - started)
                assert status == 200
            _, _, body = client.request("GET", f"/dossiers/{CASE}/documents")
            csrf = re.search(rb'name="_csrf" value="([0-9a-f]+)"', body).group(1).decode()
            client.request("POST", f"/dossiers/{CASE}/documents/fiche-saisine/construire", {"_csrf": csrf})
            saves = []
            for run in range(runs):
                status, _, body = client.request("GET", page)
                form = _Form()
                form.feed(body.decode())
                fields = [(k, f"Mme Lefebvre {run}" if k == "designation" else v) for k, v in form.fields]
                started = time.perf_counter()
                status, headers, _ = client.request("POST", page, fields)
                assert status == 303, status
                status, headers, _ = client.request("POST", f"/dossiers/{CASE}/documents/fiche-saisine/construire",
                                                    {"_csrf": csrf})
                assert status == 303, status
                shown = parse_qs(urlsplit(headers["location"]).query)["apercu"][0]
                status, _, pdf = client.request("GET", f"/dossiers/{CASE}/fichiers/{shown}.pdf")
                saves.append(time.perf_counter() - started)
                assert status == 200 and pdf.startswith(b"%PDF"), status
            text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout
            assert f"Mme Lefebvre {runs - 1}".encode() in text, "l'aperçu ne montre pas la dernière valeur"
        finally:
            server.terminate()
            server.wait(timeout=10)
            server.stdout.close()
    print(f"liste des dossiers (GET /, {args.dossiers + 1} dossiers) : première visite {first_home * 1000:.0f} ms, "
          f"puis {_ms(home)}")
    print(f"page d'un dossier (GET {page}) : {_ms(pages)}  [objectif < 300 ms]")
    print(f"enregistrement → aperçu PDF à jour (POST formulaire, POST construire, GET PDF) : {_ms(saves)}  "
          "[objectif < 1 s]")


if __name__ == "__main__":
    main()
