""""What we found": the report's findings in plain words, each number taken from a table of the report.

A report of tables and figures leaves the reader to find the result. The findings section states
it first, in Arabic and English: the strongest key terms of each side with their rates per 10,000
words and how many of the side's outlets use them; the topics whose prevalence differs most, with
their intervals; the namings each side prefers; which stories one side covered alone; and the
caveats the data call for (a side that is mostly one outlet, months with few articles, groups that
differ in composition, key terms of one outlet only).

Every function here reads a table the report shows and saves (``tables/<name>.csv``) and returns
:class:`Finding` objects whose :attr:`Finding.evidence` names, for each number in the sentence, the
table, the row (a key column and its value) and the column it came from. The report saves them
all as ``tables/findings.csv`` (:func:`findings_frame`), and a test reads each number back from its
table: nothing in the summary is computed apart from what the reader can check below it.

The sentences are written for a reader, not a statistician: rates per 10,000 words rather than
test statistics, intervals rather than p-values, and a caveat wherever a number could mislead.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..display import TITLE_CHARS, escape_markdown, shorten

__all__ = ["Finding", "keyness_findings", "topic_findings", "naming_findings", "coverage_findings",
           "caveats", "findings_frame", "findings_markdown"]

#: A side counts as dominated by one outlet when that outlet wrote at least this share of its articles.
DOMINANT_SHARE = 0.5
#: A month with fewer articles than this on either side is too thin to read trends from.
THIN_MONTH = 10


@dataclass
class Finding:
    """One statement of the findings section.

    ``section``: the report section it summarises (keyness, topics, reading, stories, caveats);
    ``ar``/``en``: the sentence (markdown, corpus strings escaped); ``evidence``: one dict per
    number in it, ``{"table", "key", "key_value", "column", "value"}``: the value of ``column`` in
    the row of ``tables/<table>.csv`` where ``key == key_value``.
    """
    section: str
    ar: str
    en: str
    evidence: list[dict] = field(default_factory=list)


def _ev(table: str, key: str, key_value, column: str, value) -> dict:
    v = value.item() if isinstance(value, np.generic) else value
    kv = key_value.item() if isinstance(key_value, np.generic) else key_value
    return {"table": table, "key": key, "key_value": kv, "column": column, "value": v}


def _q(term, n: int = 40) -> str:
    """A corpus string quoted for a sentence: shortened, escaped, in Arabic quotation marks."""
    return f"«{escape_markdown(shorten(str(term), n))}»"


def _rate(x) -> str:
    return f"{float(x):,.1f}"


def _pct(x) -> str:
    return f"{100 * float(x):.0f}%"


# ------------------------------------------------------------------------------------ keyness
def keyness_findings(top: pd.DataFrame, outlets_per_side: dict[str, int], labels: dict[str, str], *,
                     n: int = 3, table: str = "keyness_top_terms") -> list[Finding]:
    """The ``n`` strongest key terms of each side (rows of ``top``, the report's
    ``keyness_top_terms`` table, strongest first), with their rates per 10,000 words on both sides
    and how many of the side's outlets use them.

    ``outlets_per_side``: ``{"target": k, "reference": m}`` outlets in each group (``None`` for
    a group without outlets); ``labels``: ``{"target": name, "reference": name}``.
    """
    out = []
    for side, other in (("target", "reference"), ("reference", "target")):
        rows = top[top["direction"] == side].head(n)
        if rows.empty:
            continue
        k = outlets_per_side.get(side)
        parts_ar, parts_en, ev = [], [], []
        for _, r in rows.iterrows():
            term = r["term"]
            mine, theirs = r[f"freq_{side}"], r[f"freq_{other}"]
            ev += [_ev(table, "term", term, f"freq_{side}", mine), _ev(table, "term", term, f"freq_{other}", theirs)]
            used = ""
            used_ar = ""
            if k and f"outlets_{side}" in r and pd.notna(r[f"outlets_{side}"]):
                u = int(r[f"outlets_{side}"])
                ev.append(_ev(table, "term", term, f"outlets_{side}", u))
                used, used_ar = f"; {u} of its {k} outlets", f"؛ {u} من منافذه الـ{k}"
            parts_en.append(f"{_q(term)} ({_rate(mine)} vs {_rate(theirs)} per 10,000 words{used})")
            parts_ar.append(f"{_q(term)} ({_rate(mine)} مقابل {_rate(theirs)} لكل 10,000 كلمة{used_ar})")
        who = escape_markdown(shorten(labels[side]))
        out.append(Finding(
            "keyness",
            f"يفرط جانب **{who}** في استخدام: " + "، ".join(parts_ar) + ".",
            f"**{who}** over-uses " + ", ".join(parts_en) + ".",
            ev))
    return out


# ------------------------------------------------------------------------------------- topics
def topic_findings(diff: pd.DataFrame, names: dict[int, str], labels: dict[str, str], *, n: int = 2,
                   exclude=(), table: str = "topic_prevalence_difference") -> list[Finding]:
    """The ``n`` topics whose prevalence differs most between the groups (largest
    ``|difference|`` among those whose 95% interval excludes zero), with both prevalences and
    the interval of the difference. ``exclude``: topics left out (flagged numeral or near-empty
    topics). Says so when no difference is clear."""
    d = diff[~diff["topic"].isin(list(exclude))]
    lo, hi = ("lower", "upper") if "lower" in d.columns else ("low", "high")
    clear = d[d["excludes_zero"].astype(bool)] if "excludes_zero" in d.columns else d[(d[lo] > 0) | (d[hi] < 0)]
    if clear.empty:
        return [Finding("topics", "لا يختلف انتشار أي موضوع بين المجموعتين اختلافًا واضحًا (كل فترات الثقة 95٪ تشمل الصفر).",
                        "No topic's prevalence differs clearly between the groups (every 95% interval includes zero).")]
    clear = clear.reindex(clear["difference"].abs().sort_values(ascending=False, kind="stable").index).head(n)
    out = []
    for _, r in clear.iterrows():
        t = int(r["topic"])
        side = "target" if r["difference"] > 0 else "reference"
        name = escape_markdown(shorten(names.get(t, f"Topic {t}"), 60))
        who = escape_markdown(shorten(labels[side]))
        ev = [_ev(table, "topic", t, c, r[c]) for c in ("prevalence_target", "prevalence_reference", lo, hi)]
        pt, pr = _pct(r["prevalence_target"]), _pct(r["prevalence_reference"])
        ci = f"{100 * r[lo]:+.0f} … {100 * r[hi]:+.0f}"
        out.append(Finding(
            "topics",
            f"الموضوع **{name}** أكثر حضورًا لدى **{who}**: {pt} من مقالات المجموعة المستهدفة مقابل {pr} "
            f"من المرجعية (الفرق بالنقاط المئوية، فترة ثقة 95٪: {ci}).",
            f"Topic **{name}** is more present on the **{who}** side: {pt} of the target group's text against "
            f"{pr} of the reference group's (difference in percentage points, 95% interval {ci}).",
            ev))
    return out


# ------------------------------------------------------------------------------------- naming
def naming_findings(naming: pd.DataFrame, category: str, groups: dict[str, str], *,
                    table: str) -> Finding | None:
    """For one actor's naming table (:func:`~workbench.reading.lexicons.naming_table`): the
    naming each group prefers most (largest share among the labels it over-uses), when the two
    groups prefer different names. ``groups``: ``{"target": value, "reference": value}``."""
    used = naming[naming["count"] > 0]
    picks = {}
    for side, g in groups.items():
        mine = used[(used["group"].astype(str) == str(g)) & (used["preferred_by"].astype(str) == str(g))]
        if mine.empty:
            return None
        picks[side] = mine.loc[mine["share"].idxmax()]
    if picks["target"]["label"] == picks["reference"]["label"]:
        return None
    who = escape_markdown(shorten(category.split(":", 1)[-1], 60))
    ev, ar, en = [], [], []
    for side in ("target", "reference"):
        r = picks[side]
        key = f"{r['label']}|{r['group']}"
        ev.append(_ev(table, "label|group", key, "share", r["share"]))
        g = escape_markdown(shorten(str(groups[side])))
        en.append(f"**{g}** says {_q(r['label'])} ({_pct(r['share'])} of its mentions)")
        ar.append(f"يقول **{g}** {_q(r['label'])} ({_pct(r['share'])} من إشاراته)")
    return Finding("reading", f"تسمية {who}: " + "، بينما ".join(ar) + ".",
                   f"Naming {who}: " + ", while ".join(en) + ".", ev)


# ------------------------------------------------------------------------------------ stories
def coverage_findings(cov: pd.DataFrame, labels: dict[str, str], *, table: str = "story_coverage") -> list[Finding]:
    """How many stories both sides covered and how many one side covered alone or mostly, and the
    largest story each side left to the other."""
    counts = cov["side"].value_counts()
    both = int(counts.get("both", 0))
    alone = {}  # the coverage table names the sides by the groups' values: "only regime", "mostly regime"
    for side in ("target", "reference"):
        g = str(labels[side])
        alone[side] = int(counts.get(f"only {g}", 0) + counts.get(f"mostly {g}", 0))
    ev = [{"table": table, "key": "side", "key_value": "both", "column": "count(story)", "value": both}]
    t, r = (escape_markdown(shorten(labels[s])) for s in ("target", "reference"))
    out = [Finding(
        "stories",
        f"من بين {len(cov):,} قصة لدى المجموعتين، تناول كلاهما {both:,}، وانفرد **{t}** (أو كاد) بـ{alone['target']:,} "
        f"و**{r}** بـ{alone['reference']:,}.",
        f"Of {len(cov):,} stories on the two sides, both covered {both:,}; **{t}** covered {alone['target']:,} "
        f"alone or mostly, **{r}** {alone['reference']:,}.",
        ev)]
    for side in ("target", "reference"):
        g = str(labels[side])
        mine = cov[cov["side"].isin([f"only {g}", f"mostly {g}"])]
        if mine.empty:
            continue
        s = mine.iloc[0]  # largest first
        n = int(s[f"n_{side}"])
        who = escape_markdown(shorten(g))
        out.append(Finding(
            "stories",
            f"أكبر قصة انفرد بها **{who}**: {_q(s['title'], TITLE_CHARS // 2)} ({n:,} مقالات مقابل {int(s[f'n_{_other(side)}']):,}).",
            f"The largest story **{who}** covered (almost) alone: {_q(s['title'], TITLE_CHARS // 2)} ({n:,} articles against "
            f"{int(s[f'n_{_other(side)}']):,}).",
            [_ev(table, "story", s["story"], f"n_{side}", n)]))
    return out


def _other(side: str) -> str:
    return "reference" if side == "target" else "target"


# ------------------------------------------------------------------------------------ caveats
def caveats(by_outlet: pd.DataFrame, monthly: pd.DataFrame | None, group: str, labels: dict[str, str], *,
            composition_warnings=(), top: pd.DataFrame | None = None, stratify: str | None = None,
            by_outlet_table: str = "articles_by_outlet", monthly_table: str = "articles_per_month") -> list[Finding]:
    """The caveats a careful reader needs before trusting the findings.

    * a side that is one outlet, or mostly one outlet (≥ :data:`DOMINANT_SHARE` of its articles):
      its key terms may be that outlet's house style, not its camp's (``by_outlet``: the report's
      ``articles_by_outlet`` table, columns ``<group>``?, ``outlet``, ``articles``);
    * months with fewer than :data:`THIN_MONTH` articles on a side (``monthly``: articles per month,
      one column per group);
    * composition differences (warnings of :func:`~workbench.stats.composition.composition`),
      unless the comparison is already stratified;
    * key terms of a side used by one outlet only (``top``).
    """
    out = []
    if group in by_outlet.columns and "outlet" in by_outlet.columns:
        for side in ("target", "reference"):
            g = labels[side]
            rows = by_outlet[by_outlet[group].astype(str) == str(g)]
            total = int(rows["articles"].sum())
            if rows.empty or total == 0:
                continue
            big = rows.loc[rows["articles"].idxmax()]
            share = int(big["articles"]) / total
            who, o = escape_markdown(shorten(str(g))), _q(big["outlet"])
            ev = [_ev(by_outlet_table, "outlet", big["outlet"], "articles", int(big["articles"]))]
            if len(rows) == 1:
                out.append(Finding(
                    "caveats",
                    f"جانب **{who}** منفذ واحد ({o}): قد تعكس كلماته أسلوب هذا المنفذ لا أسلوب معسكره.",
                    f"The **{who}** side is a single outlet ({o}): its key terms may be that outlet's house style "
                    "rather than its camp's.", ev))
            elif share >= DOMINANT_SHARE:
                out.append(Finding(
                    "caveats",
                    f"يهيمن {o} على جانب **{who}** ({int(big['articles']):,} من {total:,} مقالًا، {_pct(share)}): "
                    "قد تعكس الكلمات المفتاحية أسلوبه هو؛ انظر عمود outlets_* في جداول الكلمات.",
                    f"{o} dominates the **{who}** side ({int(big['articles']):,} of {total:,} articles, {_pct(share)}): "
                    "the key terms may be its house style; see the outlets_* columns of the keyword tables.", ev))
    if monthly is not None and len(monthly):
        m = monthly.set_index("period") if "period" in monthly.columns else monthly
        for side in ("target", "reference"):
            g = str(labels[side])
            if g not in m.columns:
                continue
            thin = m[m[g] < THIN_MONTH]
            if len(thin):
                who = escape_markdown(shorten(g))
                months = ", ".join(escape_markdown(str(p)) for p in thin.index[:6]) + (" …" if len(thin) > 6 else "")
                out.append(Finding(
                    "caveats",
                    f"لدى **{who}** أقل من {THIN_MONTH} مقالات في {len(thin)} من {len(m)} شهرًا ({months}): "
                    "لا تُقرأ الاتجاهات الشهرية في هذه الأشهر.",
                    f"**{who}** has fewer than {THIN_MONTH} articles in {len(thin)} of {len(m)} months ({months}): "
                    "monthly trends there rest on too few articles.",
                    [_ev(monthly_table, "period", str(p), g, int(thin.loc[p, g])) for p in thin.index[:6]]))
    if composition_warnings and not stratify:
        for w in composition_warnings:
            out.append(Finding("caveats", f"تركيب المجموعتين مختلف: {escape_markdown(w)}",
                               f"The groups differ in composition: {escape_markdown(w)}"))
    if top is not None and "outlets_target" in top.columns:
        for side in ("target", "reference"):
            if group in by_outlet.columns and "outlet" in by_outlet.columns and \
                    by_outlet.loc[by_outlet[group].astype(str) == str(labels[side]), "outlet"].nunique() < 2:
                continue  # a side of one outlet: said above
            rows = top[top["direction"] == side]
            one = rows[rows[f"outlets_{side}"] == 1]
            if len(rows) and len(one):
                who = escape_markdown(shorten(labels[side]))
                out.append(Finding(
                    "caveats",
                    f"{len(one)} من أهم {len(rows)} كلمة لدى **{who}** يستخدمها منفذ واحد فقط (outlets = 1).",
                    f"{len(one)} of the top {len(rows)} key terms of **{who}** are used by a single outlet (outlets = 1): "
                    "raise `min_outlets` to keep terms the camp shares.",
                    [_ev("keyness_top_terms", "term", t, f"outlets_{side}", 1) for t in one["term"]]))
    return out


# ------------------------------------------------------------------------------------ output
def findings_frame(findings: list[Finding]) -> pd.DataFrame:
    """One row per number of every finding: ``finding, section, table, key, key_value, column,
    value`` (``tables/findings.csv``), and one row with empty evidence for a finding without numbers."""
    rows = []
    for i, f in enumerate(findings, start=1):
        for e in f.evidence or [{}]:
            rows.append({"finding": i, "section": f.section, "table": e.get("table", ""), "key": e.get("key", ""),
                         "key_value": e.get("key_value", ""), "column": e.get("column", ""),
                         "value": e.get("value", "")})
    return pd.DataFrame(rows, columns=["finding", "section", "table", "key", "key_value", "column", "value"])


_SECTION_TITLES = {
    "keyness": ("الكلمات المفتاحية", "Keywords"),
    "topics": ("الموضوعات", "Topics"),
    "reading": ("التسميات", "Naming"),
    "stories": ("القصص", "Stories"),
    "caveats": ("تحفظات", "Caveats"),
}


def findings_markdown(findings: list[Finding], lang: str = "ar") -> str:
    """The findings as markdown: per section a bold label and one bullet per finding, the
    report's language first and the other language under it (in italics)."""
    lines = []
    for key, (ar, en) in _SECTION_TITLES.items():
        mine = [f for f in findings if f.section == key]
        if not mine:
            continue
        lines.append(f"**{ar} — {en}**\n" if lang == "ar" else f"**{en} — {ar}**\n")
        for f in mine:
            first, second = (f.ar, f.en) if lang == "ar" else (f.en, f.ar)
            lines.append(f"- {first}  \n  *{second.replace('**', '')}*")
        lines.append("")
    return "\n".join(lines).strip() + "\n"
