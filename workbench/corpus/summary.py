"""What a corpus store holds: articles per outlet and camp, dates, words, duplicates dropped."""
from __future__ import annotations

import pandas as pd

from ..errors import ArgumentError
from .store import Store


def corpus_summary(store: Store) -> dict:
    """A JSON-ready summary of the store (what ``workbench corpus info`` prints)."""
    df = store.read(columns=["n_words"])
    reg = store.registry
    names = {o["id"]: o.get("name_en") for o in reg.outlets} if reg else {}
    by_outlet = (
        df.groupby(["outlet", "camp"], observed=True)
        .agg(articles=("id", "size"), words=("n_words", "sum"),
             first=("date", "min"), last=("date", "max"))
        .reset_index()
    )
    by_camp = (
        df.groupby("camp", observed=True)
        .agg(articles=("id", "size"), outlets=("outlet", "nunique"), words=("n_words", "sum"))
        .reset_index()
    )
    imports = store.catalogue.get("imports", [])
    return {
        "store": str(store.path),
        "registry": reg.name if reg else None,
        "fingerprint": store.fingerprint(),
        "articles": int(len(df)),
        "outlets": int(df["outlet"].nunique()),
        "words": int(df["n_words"].sum()),
        "first_date": df["date"].min().isoformat() if len(df) else None,
        "last_date": df["date"].max().isoformat() if len(df) else None,
        "duplicates_dropped": int(sum(i["duplicates"] for i in imports)),
        "already_in_store_dropped": int(sum(i["already_in_store"] for i in imports)),
        "rejected": int(sum(i["rejected"] for i in imports)),
        "imports": len(imports),
        "by_camp": [
            {"camp": str(r.camp), "articles": int(r.articles), "outlets": int(r.outlets), "words": int(r.words)}
            for r in by_camp.itertuples()
        ],
        "by_outlet": [
            {"outlet": str(r.outlet), "name": names.get(str(r.outlet)), "camp": str(r.camp),
             "articles": int(r.articles), "words": int(r.words),
             "first_date": r.first.date().isoformat(), "last_date": r.last.date().isoformat()}
            for r in by_outlet.itertuples()
        ],
    }


def format_summary(s: dict) -> str:
    """Human-readable text of :func:`corpus_summary`."""
    lines = [
        f"Corpus store {s['store']} (registry: {s['registry']})",
        f"  {s['articles']:,} articles from {s['outlets']} outlets, {s['words']:,} words",
        f"  dates {(s['first_date'] or '-')[:10]} .. {(s['last_date'] or '-')[:10]}",
        f"  dropped on import: {s['duplicates_dropped']:,} exact duplicates, "
        f"{s['already_in_store_dropped']:,} already stored; rejected: {s['rejected']:,}; imports: {s['imports']}",
        "",
    ]
    camp = pd.DataFrame(s["by_camp"], columns=["camp", "articles", "outlets", "words"])
    lines += ["By camp:", camp.to_string(index=False), ""]
    outlet = pd.DataFrame(s["by_outlet"], columns=["outlet", "name", "camp", "articles", "words",
                                                   "first_date", "last_date"])
    lines += ["By outlet:", outlet.to_string(index=False)]
    return "\n".join(lines)


def articles_by(df: pd.DataFrame, by: list[str] | str = ("camp", "outlet")) -> pd.DataFrame:
    """Articles, words and date range per group (e.g. per camp and outlet): a tidy table."""
    by = [by] if isinstance(by, str) else list(by)
    out = (df.groupby(by, observed=True)
           .agg(articles=("id", "size"), words=("n_words", "sum"), first=("date", "min"), last=("date", "max"))
           .reset_index())
    out["first"] = out["first"].dt.strftime("%Y-%m-%d")
    out["last"] = out["last"].dt.strftime("%Y-%m-%d")
    return out


def articles_per_period(df: pd.DataFrame, by: str = "camp", freq: str = "M") -> pd.DataFrame:
    """Articles per period (``"M"`` months, ``"W"`` weeks) and group: periods × groups, zeros filled."""
    if freq not in ("M", "W"):
        raise ArgumentError(f"freq must be 'M' (months) or 'W' (weeks), got {freq!r}")
    period = df["date"].dt.strftime("%Y-%m") if freq == "M" else df["date"].dt.strftime("%G-W%V")
    table = pd.crosstab(period.rename("period"), df[by].astype(str))
    if isinstance(df[by].dtype, pd.CategoricalDtype):
        order = [str(c) for c in df[by].cat.categories if str(c) in table.columns]
        table = table[order]
    table.columns.name = by
    return table
