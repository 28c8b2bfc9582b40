"""``reports/index.html``: every published report with its parameters and links (no outside requests)."""
from __future__ import annotations

import html
import json
import os
from pathlib import Path


def list_reports(out_root: Path) -> list[dict]:
    """Manifests of every published run under ``out_root``, newest first."""
    runs = []
    for manifest in out_root.glob("*/*/manifest.json"):
        run = manifest.parent
        if run.is_symlink() or run.name.startswith("."):
            continue
        try:
            m = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        m["_folder"] = str(run.relative_to(out_root))
        runs.append(m)
    return sorted(runs, key=lambda m: (m.get("started", ""), m["_folder"]), reverse=True)


def _params(p: dict) -> str:
    items = []
    for k, v in p.items():
        if v in (None, [], {}, ""):
            continue
        if k == "store":
            v = Path(v).name
        items.append(f"<code>{html.escape(k)}</code>=<bdi>{html.escape(str(v))}</bdi>")
    return " ".join(items)


def write_index(out_root: str | Path) -> Path:
    """Write ``out_root/index.html`` (atomically) and return its path."""
    out_root = Path(out_root)
    rows = []
    for m in list_reports(out_root):
        f = m["_folder"]
        links = [f'<a href="{html.escape(f)}/report.html">HTML</a>']
        if (out_root / f / "report.pdf").exists():
            links.append(f'<a href="{html.escape(f)}/report.pdf">PDF</a>')
        links.append(f'<a href="{html.escape(f)}/tables/">tables</a>')
        links.append(f'<a href="{html.escape(f)}/manifest.json">manifest</a>')
        corpus = m.get("corpus") or {}
        rows.append(
            "<tr>"
            f"<td>{html.escape(m.get('report', ''))}</td>"
            f"<td>{html.escape(m.get('started', ''))}</td>"
            f"<td><bdi>{html.escape(str(corpus.get('registry') or ''))}</bdi> "
            f"({corpus.get('articles', '')} articles, {html.escape(str(corpus.get('fingerprint', ''))[:12])})</td>"
            f"<td>{_params(m.get('parameters', {}))}</td>"
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
</style></head>
<body>
<h1>Reports — التقارير</h1>
<p>{len(rows)} published report run(s). Each folder holds report.html, report.pdf, tables/, figures/ and manifest.json.</p>
<table>
<thead><tr><th>report</th><th>started (UTC)</th><th>corpus</th><th>parameters</th><th>files</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table>
</body></html>
"""
    out_root.mkdir(parents=True, exist_ok=True)
    path = out_root / "index.html"
    tmp = path.with_name(".index.html.tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, path)
    return path
