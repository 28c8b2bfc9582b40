"""``reports/index.html``: every published report with its parameters and links, and every failed or
interrupted run with its one-line reason (no outside requests).

Several report runs (of different reports, so under different locks) may write the index at the
same moment, while others publish, fail or prune run folders: each writer builds the page from a
scan that tolerates folders appearing and disappearing, writes it to its own temporary file and
renames it over ``index.html``, so a reader always sees one whole page and no writer fails. Writers
take turns (a lock held for the few milliseconds of scan and write), so the last page written comes
from the last scan and lists every run published before it.
"""
from __future__ import annotations

import html
import json
import os
import tempfile
import time
from pathlib import Path

FAILURE_FILE = "failure.json"  # written by workbench.reports.run for failed and interrupted runs
_STALE_TMP_SECONDS = 600  # a temporary index older than this belongs to a writer that was killed


def _children(folder: Path) -> list[Path]:
    """Sub-folders of ``folder`` (not symlinks); a folder removed mid-scan is simply absent."""
    try:
        with os.scandir(folder) as it:
            return [Path(e.path) for e in it if e.is_dir(follow_symlinks=False)]
    except OSError:
        return []


def _read_json(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def list_reports(out_root: Path) -> list[dict]:
    """Manifests of every published run under ``out_root``, newest first."""
    runs = []
    for report in _children(out_root):
        for run in _children(report):
            if run.name.startswith(".") or run.name.endswith(".failed") or ".failed-" in run.name:
                continue
            m = _read_json(run / "manifest.json")
            if m is None:
                continue
            m["_folder"] = str(run.relative_to(out_root))
            runs.append(m)
    return sorted(runs, key=lambda m: (str(m.get("started", "")), m["_folder"]), reverse=True)


def list_failures(out_root: Path) -> list[dict]:
    """``failure.json`` of every failed or interrupted run (``<stamp>.failed`` folders), newest first.

    A failed folder without a readable ``failure.json`` is listed with the reason unknown.
    """
    runs = []
    for report in _children(out_root):
        for run in _children(report):
            if run.name.startswith(".") or ".failed" not in run.name:
                continue
            f = _read_json(run / FAILURE_FILE) or {"status": "failed", "reason": "reason unknown (no failure.json)"}
            f.setdefault("report", report.name)
            f["_folder"] = str(run.relative_to(out_root))
            runs.append(f)
    return sorted(runs, key=lambda f: (str(f.get("started") or ""), f["_folder"]), reverse=True)


def _params(p: dict) -> str:
    items = []
    for k, v in p.items():
        if v in (None, [], {}, ""):
            continue
        if k == "store":
            v = Path(v).name
        items.append(f"<code>{html.escape(k)}</code>=<bdi>{html.escape(str(v))}</bdi>")
    return " ".join(items)


def _e(value) -> str:
    """Every value shown in the page goes through here: text, HTML-escaped."""
    return html.escape("" if value is None else str(value))


def write_index(out_root: str | Path) -> Path:
    """Write ``out_root/index.html`` (atomically) and return its path."""
    out_root = Path(out_root)
    out_root.mkdir(parents=True, exist_ok=True)
    from filelock import FileLock

    # the operating system's lock (any platform): released when the process ends, even if it is killed
    with FileLock(out_root / ".index.lock", is_singleton=False, thread_local=False, fallback_to_soft=False,
                  preserve_lock_file=True):
        return _write_index(out_root)


def _write_index(out_root: Path) -> Path:
    rows = []
    for m in list_reports(out_root):
        f = _e(m["_folder"])
        links = [f'<a href="{f}/report.html">HTML</a>']
        if (out_root / m["_folder"] / "report.pdf").exists():
            links.append(f'<a href="{f}/report.pdf">PDF</a>')
        links.append(f'<a href="{f}/tables/">tables</a>')
        links.append(f'<a href="{f}/manifest.json">manifest</a>')
        corpus = m.get("corpus") if isinstance(m.get("corpus"), dict) else {}
        params = m.get("parameters") if isinstance(m.get("parameters"), dict) else {}
        rows.append(
            "<tr>"
            f"<td>{_e(m.get('report', ''))}</td>"
            f"<td>{_e(m.get('started', ''))}</td>"
            f"<td><bdi>{_e(corpus.get('registry') or '')}</bdi> "
            f"({_e(corpus.get('articles', ''))} articles, {_e(str(corpus.get('fingerprint', ''))[:12])})</td>"
            f"<td>{_params(params)}</td>"
            f"<td>{' · '.join(links)}</td>"
            "</tr>"
        )
    failures = []
    for m in list_failures(out_root):
        f = _e(m["_folder"])
        status = "interrupted" if m.get("status") == "interrupted" else "failed"
        links = []
        if (out_root / m["_folder"] / "report.ipynb").exists():
            links.append(f'<a href="{f}/report.ipynb">partial notebook</a>')
        if (out_root / m["_folder"] / FAILURE_FILE).exists():
            links.append(f'<a href="{f}/{FAILURE_FILE}">{FAILURE_FILE}</a>')
        failures.append(
            f'<tr class="{status}">'
            f"<td>{_e(m.get('report', ''))}</td>"
            f"<td>{_e(m.get('started') or '')}</td>"
            f"<td><strong>{status.upper()}</strong></td>"
            f"<td><bdi>{_e(m.get('reason', ''))}</bdi></td>"
            f"<td>{' · '.join(links)}</td>"
            "</tr>"
        )
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Reports</title>
<style>
body {{ font-family: "DejaVu Sans", system-ui, sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border-bottom: 1px solid #ddd; padding: .4em .6em; text-align: start; vertical-align: top;
         unicode-bidi: plaintext; }}
code {{ background: #f4f4f4; padding: 0 .2em; }}
tr.failed strong {{ color: #b00020; }}
tr.interrupted strong {{ color: #9a6700; }}
</style></head>
<body>
<h1>Reports — التقارير</h1>
<p>{len(rows)} published report run(s). Each folder holds report.html, report.pdf, tables/, figures/ and manifest.json.</p>
<table>
<thead><tr><th>report</th><th>started (UTC)</th><th>corpus</th><th>parameters</th><th>files</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table>
<h2>Failed and interrupted runs</h2>
<p>{len(failures)} failed or interrupted run(s), kept for debugging (nothing of theirs was published).</p>
<table>
<thead><tr><th>report</th><th>started (UTC)</th><th>status</th><th>reason</th><th>files</th></tr></thead>
<tbody>
{chr(10).join(failures)}
</tbody></table>
</body></html>
"""
    path = out_root / "index.html"
    fd, tmp = tempfile.mkstemp(prefix=".index.html.", suffix=".tmp", dir=out_root)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            os.fchmod(f.fileno(), 0o644)  # mkstemp makes it private; the index is meant to be read
            f.write(page)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _remove_stale_temporaries(out_root)
    return path


def _remove_stale_temporaries(out_root: Path) -> None:
    """Delete temporary index files left by writers that were killed (older than ten minutes)."""
    now = time.time()
    for tmp in out_root.glob(".index.html*.tmp"):
        try:
            if now - tmp.stat().st_mtime > _STALE_TMP_SECONDS:
                tmp.unlink()
        except OSError:
            pass
