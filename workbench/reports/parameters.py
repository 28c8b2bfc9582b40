"""Report parameters: read from a notebook's ``parameters`` cell, checked before any kernel starts.

A report notebook declares its parameters in one code cell tagged ``parameters``, one per line,
with an annotation giving the type and a comment giving the help text::

    store: str | None = None          # corpus store folder (None: the bundled demo corpus)
    start: date | None = None         # first date to include, YYYY-MM-DD
    top_n: int = 20                   # terms shown per side

Types understood: ``str``, ``int``, ``float``, ``bool``, ``date`` (an ISO date written as a string),
``list[str]``, ``list[int]``, ``dict`` (e.g. text settings), each optionally ``| None``. Values from the command line (strings) are converted to
the declared type; values from a YAML file must already fit it. Unknown names and values of the
wrong type are one-line errors naming the parameter. Checks that need the corpus (groups,
outlets) are in :func:`check_against_corpus`.
"""
from __future__ import annotations

import ast
import datetime as dt
import io
import tokenize
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from ..errors import WorkbenchError


class ParameterError(WorkbenchError):
    """A report parameter is unknown or has a value of the wrong type or range."""


@dataclass(frozen=True)
class Parameter:
    """One declared notebook parameter."""

    name: str
    type: str          # str, int, float, bool, date, list[str]
    optional: bool     # ``| None`` was declared
    default: Any
    help: str

    @property
    def type_label(self) -> str:
        return self.type + (" or none" if self.optional else "")


_TYPES = {"str", "int", "float", "bool", "date", "list[str]", "list[int]", "dict"}
_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}


def parameters_cell(nb: nbformat.NotebookNode, path: str = "notebook") -> nbformat.NotebookNode:
    cells = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise ParameterError(f"{path}: expected exactly one cell tagged 'parameters', found {len(cells)}")
    return cells[0]


def _comments(source: str) -> dict[int, str]:
    out = {}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            out[tok.start[0]] = tok.string.lstrip("#").strip()
    return out


def declared_parameters(notebook: str | Path | nbformat.NotebookNode) -> dict[str, Parameter]:
    """The parameters a notebook declares, in order, with types, defaults and help."""
    if isinstance(notebook, (str, Path)):
        path = str(notebook)
        try:
            nb = nbformat.read(notebook, as_version=4)
        except FileNotFoundError:
            raise ParameterError(f"{path}: notebook not found") from None
    else:
        nb, path = notebook, "notebook"
    source = parameters_cell(nb, path).source
    try:
        tree = ast.parse(source)
    except SyntaxError as e:
        raise ParameterError(f"{path}: parameters cell line {e.lineno}: {e.msg}") from None
    comments = _comments(source)
    params: dict[str, Parameter] = {}
    for node in tree.body:
        if not isinstance(node, ast.AnnAssign) or not isinstance(node.target, ast.Name):
            raise ParameterError(
                f"{path}: parameters cell line {node.lineno}: write each parameter as "
                "'name: type = default  # help'"
            )
        ann = ast.unparse(node.annotation)
        parts = [p.strip() for p in ann.split("|")]
        optional = "None" in parts
        base = [p for p in parts if p != "None"]
        if len(base) != 1 or base[0] not in _TYPES:
            raise ParameterError(
                f"{path}: parameter '{node.target.id}': type '{ann}' is not one of {', '.join(sorted(_TYPES))} (optionally | None)"
            )
        try:
            default = ast.literal_eval(node.value) if node.value is not None else None
        except ValueError:
            raise ParameterError(f"{path}: parameter '{node.target.id}': the default must be a literal") from None
        params[node.target.id] = Parameter(node.target.id, base[0], optional, default,
                                           comments.get(node.lineno, ""))
    return params


def _convert(p: Parameter, value: Any, from_text: bool) -> Any:
    """``value`` as type ``p.type``; raises ParameterError naming the parameter."""
    def bad(why: str = "") -> ParameterError:
        return ParameterError(f"parameter '{p.name}': {value!r} is not a valid {p.type_label}" + (f" ({why})" if why else ""))

    if from_text and p.type.startswith("list[") and isinstance(value, str) and not value.strip():
        return []  # -p k_range "" : an empty list
    if value is None or (from_text and isinstance(value, str) and value.strip().lower() in ("none", "null", "")):
        if p.optional:
            return None
        raise bad("a value is required")
    t = p.type
    if t == "str":
        if not isinstance(value, str):
            raise bad()
        return value
    if t == "bool":
        if isinstance(value, bool):
            return value
        if from_text and isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise bad("use true or false")
    if t in ("int", "float"):
        if isinstance(value, bool):
            raise bad()
        if isinstance(value, str) and from_text:
            try:
                value = int(value) if t == "int" else float(value)
            except ValueError:
                raise bad() from None
        if t == "int" and isinstance(value, float) and value.is_integer():
            value = int(value)
        if t == "int" and not isinstance(value, int) or t == "float" and not isinstance(value, (int, float)):
            raise bad()
        return float(value) if t == "float" else value
    if t == "date":
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip()).isoformat()
            except ValueError:
                raise bad("use YYYY-MM-DD") from None
        raise bad("use YYYY-MM-DD")
    if t == "dict":
        if isinstance(value, str) and from_text:
            import yaml

            try:
                value = yaml.safe_load(value)
            except yaml.YAMLError:
                raise bad("use a mapping such as {teh_marbuta: true}") from None
        if not isinstance(value, dict):
            raise bad("use a mapping such as {teh_marbuta: true}")
        return dict(value)
    if t == "list[int]":
        if isinstance(value, str) and from_text:
            try:
                value = [int(v) for v in value.split(",") if v.strip()]
            except ValueError:
                raise bad("use whole numbers, e.g. 10,15,20") from None
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            raise bad("use a list of whole numbers, or N,N on the command line")
        return list(value)
    if t == "list[str]":
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise bad("use a list of names, or NAME,NAME on the command line")
        return list(value)
    raise bad()  # pragma: no cover


def resolve_parameters(
    declared: dict[str, Parameter],
    from_file: dict[str, Any] | None = None,
    from_cli: list[tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """Defaults, overridden by a YAML mapping, overridden by ``-p NAME VALUE`` pairs; all checked.

    Returns every declared parameter's final value (JSON-ready: dates as ISO strings).
    """
    values = {name: p.default for name, p in declared.items()}
    for source, items, text in (("--params file", (from_file or {}).items(), False),
                                ("-p", from_cli or [], True)):
        for name, value in items:
            if name not in declared:
                raise ParameterError(
                    f"unknown parameter '{name}' ({source}); this notebook takes: {', '.join(declared)}"
                )
            values[name] = _convert(declared[name], value, text)
    for name, p in declared.items():  # defaults must fit too (catches a broken notebook early)
        values[name] = _convert(p, values[name], False)
    start, end = values.get("start"), values.get("end")
    if start and end and start > end:
        raise ParameterError(f"parameter 'start' ({start}) is after 'end' ({end})")
    if "lang" in values and values["lang"] not in ("ar", "en"):
        raise ParameterError(f"parameter 'lang': {values['lang']!r} is not valid (valid: ar, en)")
    if "ngrams" in values and values["ngrams"] not in (1, 2):
        raise ParameterError(f"parameter 'ngrams': {values['ngrams']!r} is not valid (valid: 1, 2)")
    if "text_settings" in values:
        from ..text import TextSettings

        try:
            TextSettings.from_dict(values["text_settings"] or {})
        except ValueError as e:
            raise ParameterError(f"parameter 'text_settings': {e}") from None
    if values.get("k") is not None and values["k"] < 2:
        raise ParameterError(f"parameter 'k': a topic model needs at least 2 topics (got {values['k']})")
    for v in values.get("k_range") or []:
        if v < 2:
            raise ParameterError(f"parameter 'k_range': every K must be at least 2 (got {v})")
    for name in ("top_n", "min_count"):
        if name in values and isinstance(values[name], int) and values[name] < 1:
            raise ParameterError(f"parameter '{name}': must be at least 1 (got {values[name]})")
    return values


def check_against_corpus(values: dict[str, Any], docs) -> None:
    """Check ``group``/``target``/``reference``/``outlets`` against the corpus metadata ``docs``.

    Each error names the parameter and lists the valid values.
    """
    group = values.get("group")
    if group is not None:
        cols = [c for c in docs.columns if c not in ("id", "title", "text", "url", "date", "n_words",
                                                       "text_hash", "content_hash")]
        if group not in docs.columns:
            raise ParameterError(f"parameter 'group': '{group}' is not a corpus column (valid: {', '.join(cols)})")
        valid = sorted(docs[group].dropna().astype(str).unique())
        for name in ("target", "reference"):
            v = values.get(name)
            for item in ([v] if isinstance(v, str) else v or []):
                if item not in valid:
                    raise ParameterError(
                        f"parameter '{name}': '{item}' is not a value of '{group}' (valid: {', '.join(valid)})"
                    )
        if values.get("target") is not None and values.get("target") == values.get("reference"):
            raise ParameterError("parameters 'target' and 'reference' name the same group")
        need = values.get("min_outlets") or 1
        for name in ("target", "reference"):
            v = values.get(name)
            if v is None or need <= 1:
                continue
            sel = docs[group].astype(str).isin([v] if isinstance(v, str) else v)
            n = docs.loc[sel, "outlet"].nunique()
            if n < need:
                raise ParameterError(
                    f"parameter 'min_outlets': {need} outlets are required but the {name} group '{v}' has "
                    f"only {n}; no term could be key for it (use min_outlets {n})"
                )
    outlets = values.get("outlets")
    if outlets:
        valid = sorted(docs["outlet"].astype(str).unique())
        for o in outlets:
            if o not in valid:
                raise ParameterError(f"parameter 'outlets': '{o}' is not an outlet of this corpus (valid: {', '.join(valid)})")
