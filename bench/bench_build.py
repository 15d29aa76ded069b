"""Benchmark of document generation, printed side by side (medians and ratios).

    .venv/bin/python bench/bench_build.py [--cases N] [--repeat R]

1. DOCX: our render (context + sandboxed docxtpl + reproducible zip) vs a bare
   docxtpl render of the same template and context (target ratio <= 1.15).
2. PDF: our WeasyPrint render vs LibreOffice converting the same DOCX files in
   one batch call, per document (target ratio <= 0.5).
3. `astre build` with nothing changed over N cases, minus `python -c pass`
   (target < 1 s), and the peak memory of the full build of N cases.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

TODAY = date(2026, 11, 22)


def make_project(root: Path, n: int) -> Path:
    try:
        from synth import make_cases

        make_cases(root, n)
    except ImportError:  # fallback: copies of the example case
        shutil.copy(ROOT / "astre.yaml", root / "astre.yaml")
        for i in range(n):
            target = root / "cases" / f"cas-{i:04d}"
            shutil.copytree(ROOT / "cases" / "lefebvre-2026", target)
            mesure = target / "mesure.yaml"
            mesure.write_text(mesure.read_text().replace("lefebvre-2026", target.name))
    return root / "astre.yaml"


def tree_rss_kb(pid: int) -> int:
    """Return the summed VmRSS of a process and all its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo.extend(children.get(current, []))
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def median_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def example_documents() -> list[tuple[object, dict, date, str]]:
    """Every document of the example cases: (templates, values, date, title), as `astre build` renders them."""
    from generator.build import _init_worker, _ready, document_values, form_templates
    from generator.check import check_case
    from generator.config import load_config
    from generator.forms import load_forms

    config = load_config(ROOT / "astre.yaml")
    _init_worker(config)
    documents = []
    for folder in sorted((ROOT / "cases").iterdir()):
        case = check_case(folder, config, TODAY)
        contexts: dict = {}
        for form in load_forms(config, None):
            if _ready(case, form):
                templates = form_templates(form, config)
                documents += [(templates, values, when, title)
                              for _, values, when, title in document_values(case, form, config, contexts)]
    return documents


def bench_renderers(repeat: int, work: Path) -> None:
    from docxtpl import DocxTemplate

    from generator.render_docx import render_docx
    from generator.render_pdf import render_pdf

    documents = example_documents()
    n = len(documents)

    def bare_docx() -> None:
        for templates, values, _, _ in documents:
            tpl = DocxTemplate(str(templates.docx))
            tpl.render(dict(values, logo_image=""))
            tpl.save(BytesIO())

    def our_docx() -> None:
        for templates, values, when, title in documents:
            render_docx(templates.docx, values, when, title, "astre")

    def our_pdf() -> None:
        for templates, values, when, title in documents:
            render_pdf(templates.html, templates.search, templates.stylesheet, templates.assets, values, when,
                       title, "astre")

    our_docx(), our_pdf(), bare_docx()  # warm-up (imports, font loading)
    t_bare, t_docx = median_time(bare_docx, repeat) / n, median_time(our_docx, repeat) / n
    t_pdf = median_time(our_pdf, repeat) / n
    print(f"DOCX  bare docxtpl   {t_bare * 1000:8.1f} ms   ours {t_docx * 1000:8.1f} ms   ratio {t_docx / t_bare:.2f} "
          f"(cible <= 1.15 ; médianes par document, {n} documents des dossiers d'exemple)")
    soffice = shutil.which("soffice")
    if soffice is None:
        print("PDF   soffice absent : comparaison impossible")
        return
    files = work / "lo-in"
    files.mkdir()
    for i, (templates, values, when, title) in enumerate(documents):
        (files / f"doc{i:02d}.docx").write_bytes(render_docx(templates.docx, values, when, title, "astre"))
    lo_times = []
    for r in range(3):
        start = time.perf_counter()
        subprocess.run([soffice, f"-env:UserInstallation=file://{work}/lo", "--headless", "--convert-to", "pdf",
                        "--outdir", str(work / f"lo-out{r}"), *map(str, sorted(files.iterdir()))],
                       check=True, capture_output=True)
        lo_times.append((time.perf_counter() - start) / n)
    t_lo = statistics.median(lo_times)
    print(f"PDF   LibreOffice    {t_lo * 1000:8.1f} ms   ours {t_pdf * 1000:8.1f} ms   ratio {t_pdf / t_lo:.2f} "
          f"(cible <= 0.5 ; LibreOffice : les mêmes {n} DOCX en un seul appel, par document)")


def bench_build(n: int, work: Path) -> None:
    config_path = make_project(work / "projet", n)
    build_code = ("import sys; from datetime import date; from generator.build import build; "
                  "from generator.config import load_config; "
                  f"s = build(load_config(__import__('pathlib').Path({str(config_path)!r})), "
                  "today=date(2026, 11, 22)); "
                  "print(len(s.built), s.up_to_date, len(s.failed))")
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", build_code], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    peak_kb = 0
    while process.poll() is None:  # sum of the resident memory of the build and its workers
        peak_kb = max(peak_kb, tree_rss_kb(process.pid))
        time.sleep(0.05)
    t_full = time.perf_counter() - start
    result = process.stdout.read().strip() if process.stdout else ""
    print(f"BUILD {n} dossiers, construction complète : {t_full:.1f} s "
          f"({result} construits/à jour/échecs) ; "
          f"mémoire max (processus principal + ouvriers, somme) : {peak_kb / 1024:.0f} Mo (cible < 400 Mo)")
    noop, bare = [], []
    for _ in range(5):
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", build_code], capture_output=True, text=True, cwd=ROOT, check=True)
        noop.append(time.perf_counter() - start)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        bare.append(time.perf_counter() - start)
    t_noop = statistics.median(noop) - statistics.median(bare)
    print(f"NOOP  {n} dossiers sans changement : {t_noop:.3f} s au-delà du démarrage de Python "
          f"(cible < 1 s ; {out.stdout.strip()})")


def bench_end_to_end(n: int, work: Path) -> None:
    """Wall clock of `astre build` (DOCX + PDF, both cores) against LibreOffice on the same DOCX files."""
    soffice = shutil.which("soffice")
    if soffice is None:
        return
    config_path = make_project(work / "e2e", n)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "generator", "-f", str(config_path), "build", "--date", "2026-11-22"],
                   check=True, capture_output=True, cwd=ROOT)
    t_build = time.perf_counter() - start
    docx = sorted((work / "e2e" / "out").glob("*/*.docx"))
    start = time.perf_counter()
    subprocess.run([soffice, f"-env:UserInstallation=file://{work}/lo", "--headless", "--convert-to", "pdf",
                    "--outdir", str(work / "e2e-lo"), *map(str, docx)], check=True, capture_output=True)
    t_lo = time.perf_counter() - start
    k = len(docx)
    print(f"E2E   astre build (DOCX et PDF, {n} dossiers, {k} documents) {t_build / k * 1000:6.1f} ms/document ; "
          f"LibreOffice, les mêmes {k} DOCX en un appel : {t_lo / k * 1000:6.1f} ms/document ; "
          f"ratio {t_build / t_lo:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--e2e-cases", type=int, default=30, help="dossiers de la comparaison de bout en bout")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        bench_renderers(args.repeat, work)
        bench_end_to_end(args.e2e_cases, work)
        bench_build(args.cases, work)


if __name__ == "__main__":
    main()
