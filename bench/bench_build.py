"""Benchmark of document generation, printed side by side (medians and ratios).

    .venv/bin/python bench/bench_build.py [--cases N] [--repeat R]
    .venv/bin/python bench/bench_build.py --versus-libreoffice 10,30,100,300 --repeat 5

1. DOCX: our render (context + sandboxed docxtpl + reproducible zip) vs a bare
   docxtpl render of the same template and context (target ratio <= 1.15).
2. PDF: our WeasyPrint render vs LibreOffice converting the same DOCX files in
   one batch call, per document (target ratio <= 0.5).
3. `astre build --force` (DOCX + PDF, both cores) vs LibreOffice converting the
   same DOCX files, runs interleaved (targets: <= 0.5 at 10-100 cases, <= 0.4 at 300).
4. `astre build` with nothing changed over N cases, minus `python -c pass`
   (target < 1 s), and the peak memory of the full build of N cases.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from io import BytesIO
from pathlib import Path

from generator.reading.resources import DEFAULTS

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
    from generator.checking.check import check_case
    from generator.documents.values import document_values
    from generator.engine.build import _init_worker, _ready, form_templates
    from generator.reading.config import load_config
    from generator.reading.forms import load_forms

    config = load_config(ROOT / "astre.yaml")
    _init_worker(config)
    documents = []
    for folder in sorted((ROOT / "cases").iterdir()):
        case = check_case(folder, config, TODAY)
        contexts: dict = {}
        for form in load_forms(config.resources):
            if _ready(case, form):
                templates = form_templates(form, config)
                documents += [(templates, values, when, title)
                              for _, values, when, title in document_values(case, form, config, contexts)]
    return documents


def bench_renderers(repeat: int, work: Path) -> None:
    from docxtpl import DocxTemplate

    from generator.documents.render_docx import render_docx
    from generator.documents.render_pdf import render_pdf

    documents = example_documents()
    n = len(documents)

    def bare_docx() -> None:
        for templates, values, _, _ in documents:
            tpl = DocxTemplate(BytesIO(templates.docx_bytes) if templates.docx_bytes else str(templates.docx))
            tpl.render(dict(values, logo_image=""))
            tpl.save(BytesIO())

    def our_docx() -> None:
        for templates, values, when, title in documents:
            render_docx(templates.docx, values, when, title, "astre", templates.docx_bytes)

    def our_pdf() -> None:
        for templates, values, when, title in documents:
            render_pdf(DEFAULTS, templates.html, templates.search, templates.stylesheet, templates.assets, values, when,
                       title, "astre", templates.html_text)

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
        (files / f"doc{i:02d}.docx").write_bytes(render_docx(templates.docx, values, when, title, "astre",
                                                             templates.docx_bytes))
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
    build_code = ("import sys; from datetime import date; from generator.engine.build import build; "
                  "from generator.reading.config import load_config; "
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


def _astre_build(config_path: Path, watch_memory: bool = False) -> tuple[float, int]:
    """Run a forced `astre build` (DOCX + PDF, both cores); return (seconds, peak summed RSS in kB or 0)."""
    command = [sys.executable, "-m", "generator", "-f", str(config_path), "build", "--force", "--date", "2026-11-22"]
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    peak_kb = 0
    if watch_memory:
        while process.poll() is None:  # the build, its fork server and workers, summed
            peak_kb = max(peak_kb, tree_rss_kb(process.pid))
            time.sleep(0.2)  # scanning /proc costs a few ms: not too often, the build is being timed
    _, err = process.communicate()
    elapsed = time.perf_counter() - start
    if process.returncode != 0:
        raise SystemExit(f"astre build a échoué ({process.returncode}) : {err.decode()[-2000:]}")
    return elapsed, peak_kb


def _libreoffice(soffice: str, docx: list[Path], work: Path) -> float:
    """Convert the `docx` files to PDF with LibreOffice, at most 200 per call; check every PDF; return seconds."""
    out = work / "lo-out"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    start = time.perf_counter()
    for i in range(0, len(docx), 200):
        subprocess.run([soffice, f"-env:UserInstallation=file://{work}/lo", "--headless", "--convert-to", "pdf",
                        "--outdir", str(out), *map(str, docx[i:i + 200])], check=True, capture_output=True)
    elapsed = time.perf_counter() - start
    missing = [p.name for p in docx if not (out / f"{p.stem}.pdf").is_file()]
    if missing:
        raise SystemExit(f"LibreOffice n'a pas converti {len(missing)} fichiers : {missing[:5]}")
    return elapsed


def _cpu_stall() -> int | None:
    """Return the microseconds some runnable task waited for a CPU since boot (Linux PSI), or None."""
    try:
        some = Path("/proc/pressure/cpu").read_text().splitlines()[0]
    except (OSError, IndexError):
        return None
    return int(some.rsplit("total=", 1)[1])


def bench_versus_libreoffice(sizes: list[int], repeat: int, work: Path) -> None:
    """Forced `astre build` (DOCX + PDF) against LibreOffice converting the same DOCX files, runs interleaved."""
    soffice = shutil.which("soffice")
    if soffice is None:
        raise SystemExit("soffice absent : apt-get install -y libreoffice-writer-nogui")
    rows = []
    warmed = False
    for n in sizes:
        root = work / f"vs-{n}"
        from synth import make_cases

        make_cases(root, n)
        config_path = root / "astre.yaml"
        lo_in = root / "lo-in"
        docx: list[Path] = []
        t_astre, t_lo, stalled, peak = [], [], [], 0
        for r in range(repeat):  # interleaved: A, B, A, B... on a shared, noisy machine
            before = _cpu_stall()
            elapsed, kb = _astre_build(config_path, watch_memory=(r == 0))
            t_astre.append(elapsed)
            peak = max(peak, kb)
            if not docx:
                # LibreOffice names its output after the input's basename: unique names, or one call
                # overwrites its own results (out/<case>/<form>.docx repeats the form names).
                lo_in.mkdir()
                for i, path in enumerate(sorted((root / "out").glob("*/*.docx"))):
                    target = lo_in / f"d{i:05d}-{path.parent.name}-{path.name}"
                    shutil.copy(path, target)
                    docx.append(target)
            if not warmed:  # untimed: LibreOffice makes its user installation on its first start
                _libreoffice(soffice, docx[:3], root)
                warmed = True
            t_lo.append(_libreoffice(soffice, docx, root))
            after = _cpu_stall()
            if before is not None and after is not None:
                stalled.append((after - before) / 1e6 / (elapsed + t_lo[-1]))
            print(f"  {n} dossiers, passe {r + 1}/{repeat} : astre {elapsed:.2f} s, LibreOffice {t_lo[-1]:.2f} s"
                  + (f", pression CPU (PSI some) {stalled[-1]:.0%}" if stalled else ""),
                  flush=True)
        a, b = statistics.median(t_astre), statistics.median(t_lo)
        rows.append((n, len(docx), a, b, peak))
        shutil.rmtree(root, ignore_errors=True)
    print(f"\n{'dossiers':>8} {'documents':>9} {'astre (s)':>10} {'LibreOffice (s)':>16} {'ratio':>6} "
          f"{'astre s/doc':>11} {'LO s/doc':>9} {'mémoire max astre':>18}")
    for n, k, a, b, peak in rows:
        print(f"{n:>8} {k:>9} {a:>10.2f} {b:>16.2f} {a / b:>6.2f} {a / k:>11.4f} {b / k:>9.4f} "
              f"{peak / 1024:>15.0f} Mo")
    print(f"(médianes de {repeat} passes entrelacées ; astre build --force, DOCX et PDF, {os.cpu_count()} cœurs ; "
          "LibreOffice : les mêmes DOCX, 200 par appel ; mémoire : somme des processus, 1re passe)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--versus-libreoffice", metavar="N,N,...",
                        help="seulement : astre build --force contre LibreOffice pour ces nombres de dossiers")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.versus_libreoffice:
            bench_versus_libreoffice([int(n) for n in args.versus_libreoffice.split(",")], args.repeat, work)
            return
        bench_renderers(args.repeat, work)
        bench_versus_libreoffice([30], 3, work)
        bench_build(args.cases, work)


if __name__ == "__main__":
    main()
