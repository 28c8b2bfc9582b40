"""Queries on a corpus store through DuckDB: a subset of articles without loading the store into pandas.

DuckDB reads the store's Parquet parts directly, so a query reads only the columns it names and
skips what its conditions exclude: the metadata of a million articles, or the few hundred that
mention a word, without holding every text in memory. Results are exactly what filtering
:meth:`workbench.corpus.store.Store.read` in pandas gives (same rows, order, columns and dtypes;
tested in ``tests/test_scale.py``).

Conditions (combined with AND): ``where`` as :class:`~workbench.analysis.Selection` takes it
(``"category=politics,egypt"``, ``"category!=accidents"``, a list of them, or ``{column: value or
[values]}``; values are compared as text, ``date`` as ``YYYY-MM-DD``, ``month`` as ``YYYY-MM``),
``outlets``, ``camps``, ``start``/``end`` dates (an end date includes its whole day) and
``text_contains`` (a substring of the text, or a list of substrings any of which matches; case
and diacritics as written).

    >>> from workbench.query import query_store
    >>> query_store("build/demo-store", where="camp=regime", text_contains="النظام",
    ...             columns=["title"])                                      # doctest: +SKIP
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import pandas as pd
import pyarrow as pa

from .corpus.store import Store, open_store
from .errors import StoreError

_HIDDEN = ("text", "text_hash", "content_hash")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _as_list(v: Any) -> list[str] | None:
    if v is None:
        return None
    return [str(x) for x in (v if isinstance(v, (list, tuple, set)) else [v])]


def _end_of(value: str) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    if ts == ts.normalize() and len(str(value)) <= 10:   # a date without a time: the whole day
        ts = ts + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
    return ts


def query_store(
    store: str | Path | Store,
    where: Any = None,
    columns: Sequence[str] | None = None,
    text_contains: str | Sequence[str] | None = None,
    *,
    outlets: Sequence[str] | None = None,
    camps: Sequence[str] | None = None,
    start: str | None = None,
    end: str | None = None,
    sort: bool = False,
    limit: int | None = None,
) -> pd.DataFrame:
    """The store's articles matching every condition, as a DataFrame (DuckDB over the Parquet parts).

    ``columns``: what to return besides ``id, outlet, camp, date`` (default: every stored column
    except ``text`` and the hashes; name ``text`` to get it, ``month`` for ``YYYY-MM``). Rows come
    in storage order (the order of ``Store.read(sort=False)``), or by date then id with
    ``sort=True``; ``limit`` keeps the first rows. Dtypes are :meth:`Store.read`'s.
    """
    import duckdb

    st = store if isinstance(store, Store) else open_store(store)
    st.require()
    stored = st.column_names()
    known = list(dict.fromkeys(["id", "outlet", "camp", "date", *stored, "month"]))
    wanted = [c for c in stored if c not in _HIDDEN] if columns is None else list(columns)
    for c in wanted:
        if c not in known:
            raise StoreError(f"'{c}' is not a column of the store {st.path} (columns: {', '.join(known)})")
    out_cols = list(dict.fromkeys(["id", "outlet", "camp", "date", *wanted]))
    reg = st.registry
    camp_of = {o["id"]: o["camp"] for o in reg.outlets} if reg else {}

    conds: list[str] = []
    params: list[Any] = []

    def values_in(expr: str, values: list[str], negate: bool = False) -> None:
        marks = ", ".join("?" for _ in values)
        test = f"coalesce(CAST({expr} AS VARCHAR) IN ({marks}), false)"
        conds.append(f"NOT {test}" if negate else test)
        params.extend(values)

    def camp_outlets(values: list[str]) -> list[str]:
        return [o for o, c in camp_of.items() if c in values] or ["\x00none"]

    if outlets:
        values_in("outlet", _as_list(outlets))
    if camps:
        values_in("outlet", camp_outlets(_as_list(camps)))
    if start is not None:
        conds.append("date >= ?")
        params.append(pd.Timestamp(start).to_pydatetime())
    if end is not None:
        conds.append("date <= ?")
        params.append(_end_of(end).to_pydatetime())
    if where is not None:
        from .analysis import parse_where

        for cond in parse_where(where):
            col = cond.column
            if col not in known or col in _HIDDEN:
                raise StoreError(f"where '{cond}': '{col}' is not a corpus column "
                                 f"(columns: {', '.join(c for c in known if c not in _HIDDEN)})")
            if col == "camp":
                if cond.negate:   # an outlet without a camp is kept, as in pandas
                    values_in("outlet", camp_outlets(list(cond.values)), negate=True)
                else:
                    values_in("outlet", camp_outlets(list(cond.values)))
                continue
            expr = {"date": "strftime(date, '%Y-%m-%d')", "month": "strftime(date, '%Y-%m')"}.get(col, _quote(col))
            values_in(expr, list(cond.values), cond.negate)
    if text_contains is not None:
        needles = _as_list(text_contains)
        conds.append("(" + " OR ".join("contains(text, ?)" for _ in needles) + ")")
        params.extend(needles)

    paths = st.part_paths
    for p in paths:
        st._part(p)                     # present, readable, the rows the catalogue records
    select = [c for c in out_cols if c not in ("camp", "month")]
    if not paths:
        return st.read(columns=[c for c in wanted if c != "month"] or None, sort=sort).head(0)
    files = [str(p) for p in paths]
    order = "date, id" if sort else "file_index, file_row_number"
    sql = (f"SELECT {', '.join(_quote(c) for c in select)} FROM ("
           f"SELECT *, list_position(?, filename) AS file_index FROM read_parquet(?, union_by_name = true, "
           f"filename = true, file_row_number = true))"
           + (f" WHERE {' AND '.join(conds)}" if conds else "") + f" ORDER BY {order}"
           + (f" LIMIT {int(limit)}" if limit is not None else ""))
    con = duckdb.connect()
    try:
        table = con.sql(sql, params=[files, files, *params]).to_arrow_table()
    except duckdb.Error as e:
        raise StoreError(f"{st.path}: cannot query the store ({' '.join(str(e).split())[:200]}); "
                         "check it with `workbench corpus info`") from None
    finally:
        con.close()
    df = table.to_pandas(types_mapper={pa.string(): pd.StringDtype(), pa.large_string(): pd.StringDtype()}.get)
    outlet_ids = reg.ids if reg else sorted(df["outlet"].unique())
    df["outlet"] = pd.Categorical(df["outlet"].astype(object), categories=outlet_ids)
    camp_order = list(dict.fromkeys([*(reg.camps if reg else []), *camp_of.values()]))
    df.insert(2, "camp", pd.Categorical(df["outlet"].astype(object).map(camp_of), categories=camp_order))
    df["date"] = pd.to_datetime(df["date"])
    if "month" in out_cols:
        df["month"] = df["date"].dt.strftime("%Y-%m")
    return df[out_cols].reset_index(drop=True)
