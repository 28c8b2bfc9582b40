"""What the column names of the workbench's tables mean, in Arabic and English.

One name per quantity everywhere: the ``workbench`` command-line printouts, the CSV files and the
report's tables use the column names of the library's tables (``n_target``, ``freq_target``,
``p_adj`` ...), and this glossary explains them. The report shows it for the columns it displays
(:func:`glossary_table`); the command line prints a short legend under a table (:func:`glossary_lines`).
"""
from __future__ import annotations

import pandas as pd

__all__ = ["GLOSSARY", "glossary_table", "glossary_lines"]

#: column -> (Arabic, English)
GLOSSARY: dict[str, tuple[str, str]] = {
    "term": ("الكلمة أو العبارة بعد التطبيع", "the word or phrase, after normalisation"),
    "n_target": ("عدد مرات ورودها في المجموعة المستهدفة", "occurrences in the target group"),
    "n_reference": ("عدد مرات ورودها في المجموعة المرجعية", "occurrences in the reference group"),
    "freq_target": ("المعدل لكل 10,000 كلمة في المجموعة المستهدفة", "rate per 10,000 words in the target group"),
    "freq_reference": ("المعدل لكل 10,000 كلمة في المجموعة المرجعية", "rate per 10,000 words in the reference group"),
    "docs_target": ("عدد مقالات المجموعة المستهدفة التي تحتويها", "target-group articles that contain it"),
    "docs_reference": ("عدد مقالات المجموعة المرجعية التي تحتويها", "reference-group articles that contain it"),
    "outlets_target": ("عدد منافذ المجموعة المستهدفة التي تستخدمها", "outlets of the target group that use it"),
    "outlets_reference": ("عدد منافذ المجموعة المرجعية التي تستخدمها", "outlets of the reference group that use it"),
    "G2": ("نسبة الأرجحية G² (Dunning 1993): بعد الفرق عن الصدفة", "log-likelihood G² (Dunning 1993): how far the difference is from chance"),
    "p": ("القيمة الاحتمالية قبل التصحيح", "p-value before correction"),
    "p_adj": ("القيمة الاحتمالية بعد تصحيح تعدد الاختبارات (Benjamini–Hochberg)؛ ‎< 0.001 تعني أصغر من واحد في الألف",
              "p-value corrected for testing many terms (Benjamini–Hochberg); < 0.001 means below one in a thousand"),
    "log_ratio": ("حجم الفرق: لوغاريتم ثنائي لنسبة المعدلين (1 = ضعف المعدل؛ Hardie 2014)",
                  "size of the difference: binary log of the ratio of the rates (1 = twice as frequent; Hardie 2014)"),
    "lrc": ("نسبة لوغاريتمية محافظة: الحد الأدنى الموثوق لحجم الفرق (Evert)", "conservative log ratio: the lower confidence bound of the log ratio (Evert)"),
    "log_odds_z": ("درجة z للأرجحية اللوغاريتمية الموزونة (Monroe وآخرون 2008)", "z-score of the weighted log-odds (Monroe, Colaresi & Quinn 2008)"),
    "direction": ("الجانب الذي يفرط في استخدام الكلمة", "the side that over-uses the term"),
    "strata_target": ("عدد الطبقات التي ترد فيها لدى المجموعة المستهدفة", "strata in which the target group uses it"),
    "strata_reference": ("عدد الطبقات التي ترد فيها لدى المجموعة المرجعية", "strata in which the reference group uses it"),
    "chi2_mh": ("اختبار كوكران–مانتل–هنزل داخل الطبقات", "Cochran–Mantel–Haenszel χ² within strata"),
    "odds_ratio_mh": ("نسبة الأرجحية المشتركة (مانتل–هنزل)", "Mantel–Haenszel common odds ratio"),
    "or_low": ("الحد الأدنى لفترة الثقة 95٪ لنسبة الأرجحية", "lower end of its 95% confidence interval"),
    "or_high": ("الحد الأعلى لفترة الثقة 95٪ لنسبة الأرجحية", "upper end of its 95% confidence interval"),
    "prevalence": ("متوسط نسبة المقال المخصصة للموضوع", "average share of an article given to the topic"),
    "difference": ("الفرق في الانتشار (المستهدفة − المرجعية)", "difference in prevalence (target − reference)"),
    "low": ("الحد الأدنى لفترة الثقة 95٪", "lower end of the 95% interval"),
    "high": ("الحد الأعلى لفترة الثقة 95٪", "upper end of the 95% interval"),
    "share": ("الحصة من مجموع الإشارات", "share of all mentions"),
    "count": ("العدد", "count"),
    "articles": ("عدد المقالات", "number of articles"),
    "rate": ("المعدل لكل 10,000 كلمة", "rate per 10,000 words"),
    "n_target_expected": ("العدد المتوقع الموزون بنسبة الموضوع في كل مقال (ليس عددًا صحيحًا)",
                          "count weighted by each article's share of the topic (so not a whole number)"),
}


def glossary_table(columns, lang: str = "ar") -> pd.DataFrame:
    """The glossary rows of ``columns`` (unknown names left out, each name once, in order):
    ``column, meaning`` in the report's language, then the other language."""
    seen, rows = set(), []
    for c in columns:
        c = str(c)
        if c in GLOSSARY and c not in seen:
            seen.add(c)
            ar, en = GLOSSARY[c]
            rows.append((c, ar, en) if lang == "ar" else (c, en, ar))
    names = ["column", "المعنى", "meaning"] if lang == "ar" else ["column", "meaning", "المعنى"]
    return pd.DataFrame(rows, columns=names)


def glossary_lines(columns, lang: str = "en") -> list[str]:
    """A short legend for a printed table: one ``name: meaning`` line per known column."""
    i = 1 if lang == "ar" else 2
    t = glossary_table(columns, lang="ar")
    return [f"  {c}: {m}" for c, m in zip(t["column"], t.iloc[:, i])] if len(t) else []
