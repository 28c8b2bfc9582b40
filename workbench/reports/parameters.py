"""Report parameters: read from a notebook's ``parameters`` cell, checked before any kernel starts.

A report notebook declares its parameters in one code cell tagged ``parameters``, one per line,
with an annotation giving the type and a comment giving the help text::

    store: str | None = None          # corpus store folder (None: the bundled demo corpus)
    start: date | None = None         # first date to include, YYYY-MM-DD
    top_n: int = 20                   # terms shown per side

Types understood: ``str``, ``int``, ``float``, ``bool``, ``date`` (an ISO date written as a string),
``list[str]``, ``list[int]``, ``dict`` (e.g. text settings), each optionally ``| None``. Values from the command line (strings) are converted to
the declared type; values from a YAML file must already fit it. Unknown names and values of the
wrong type are one-line errors naming the parameter.

Checks beyond types are declared by the notebook itself, next to its parameters, in a cell tagged
``parameter-checks`` holding one literal mapping (see :data:`RULES`)::

    parameter_checks = {
        "lang": {"choices": ["ar", "en"]},
        "k": {"min": 2},
        "start": {"not_after": "end"},
        "target": {"value_of": "group"},
    }

The runner reads that mapping; it knows no particular notebook. Rules that need the corpus
(columns, values, outlets, selections) run in :func:`check_against_corpus`.
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

from ..errors import ParameterError, WorkbenchError


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
    nb, path = _notebook(notebook)
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


#: What a rule in a notebook's ``parameter-checks`` mapping means (the parameter is P, its value v).
RULES = {
    "choices": "v is one of the listed values",
    "min": "v (or every item of a list) is at least this",
    "max": "v (or every item of a list) is at most this",
    "not_after": "v is not after the value of the named parameter (dates)",
    "differs_from": "v differs from the value of the named parameter",
    "text_settings": "v is valid text settings (workbench.text.TextSettings)",
    "file": "v names an existing file, absolute or relative to the current folder or the project "
            "folder; the runner passes the notebook its absolute path",
    "corpus_column": "v is a column of the corpus",
    "value_of": "v (or every item) is a value of the corpus column named by the named parameter",
    "outlet": "v (or every item) is an outlet of the corpus",
    "where": "v is a list of selection conditions valid on the corpus (column=value, column!=value)",
    "outlets_per_group": "each group named by the listed parameters has at least v outlets "
                         "(of the column named by the 'group' parameter)",
}
_CORPUS_RULES = {"corpus_column", "value_of", "outlet", "where", "outlets_per_group"}
CHECKS_TAG = "parameter-checks"


def declared_checks(notebook: str | Path | nbformat.NotebookNode) -> dict[str, dict[str, Any]]:
    """The notebook's own parameter checks: the mapping in its cell tagged ``parameter-checks``.

    A notebook without that cell has only the type checks of its annotations.
    """
    nb, path = _notebook(notebook)
    cells = [c for c in nb.cells if CHECKS_TAG in c.get("metadata", {}).get("tags", [])]
    if not cells:
        return {}
    if len(cells) > 1:
        raise ParameterError(f"{path}: more than one cell tagged '{CHECKS_TAG}'")
    try:
        tree = ast.parse(cells[0].source)
    except SyntaxError as e:
        raise ParameterError(f"{path}: {CHECKS_TAG} cell line {e.lineno}: {e.msg}") from None
    assigns = [n for n in tree.body if isinstance(n, (ast.Assign, ast.AnnAssign))]
    try:
        checks = ast.literal_eval(assigns[0].value) if len(assigns) == 1 else None
    except ValueError:
        checks = None
    if not isinstance(checks, dict) or not all(isinstance(v, dict) for v in checks.values()):
        raise ParameterError(f"{path}: the {CHECKS_TAG} cell must assign one literal mapping "
                             "{parameter: {rule: value}}")
    declared = declared_parameters(nb)
    for name, rules in checks.items():
        if name not in declared:
            raise ParameterError(f"{path}: {CHECKS_TAG}: '{name}' is not a parameter of this notebook")
        for rule, arg in rules.items():
            if rule not in RULES:
                raise ParameterError(f"{path}: {CHECKS_TAG}: '{name}': unknown rule '{rule}' "
                                     f"(rules: {', '.join(RULES)})")
            if rule in ("not_after", "differs_from", "value_of") and arg not in declared:
                raise ParameterError(f"{path}: {CHECKS_TAG}: '{name}': {rule} names '{arg}', "
                                     "which is not a parameter")
    return checks


def _notebook(notebook: str | Path | nbformat.NotebookNode) -> tuple[nbformat.NotebookNode, str]:
    if isinstance(notebook, (str, Path)):
        try:
            return nbformat.read(notebook, as_version=4), str(notebook)
        except FileNotFoundError:
            raise ParameterError(f"{notebook}: notebook not found") from None
    return notebook, "notebook"


def _items(v: Any) -> list:
    return list(v) if isinstance(v, (list, tuple)) else [v]


def _existing_file(name: str, value: str) -> str:
    from ..paths import PROJECT_ROOT

    path = Path(value)
    for candidate in ([path] if path.is_absolute() else [Path.cwd() / path, PROJECT_ROOT / path]):
        if candidate.is_file():
            return str(candidate.resolve())
    raise ParameterError(f"parameter '{name}': {value} is not a file (relative paths are looked up in "
                         f"the current folder and in {PROJECT_ROOT})")


def check_parameters(values: dict[str, Any], checks: dict[str, dict[str, Any]]) -> None:
    """Apply the rules of ``checks`` that need no corpus; raise :class:`ParameterError` naming the parameter."""
    for name, rules in checks.items():
        v = values.get(name)
        if v is None:
            continue
        for rule, arg in rules.items():
            if rule == "choices" and v not in arg:
                raise ParameterError(f"parameter '{name}': {v!r} is not valid (valid: {', '.join(map(str, arg))})")
            if rule in ("min", "max"):
                for item in _items(v):
                    if (item < arg) if rule == "min" else (item > arg):
                        raise ParameterError(f"parameter '{name}': must be at {'least' if rule == 'min' else 'most'} "
                                             f"{arg} (got {item})")
            if rule == "not_after" and values.get(arg) is not None and v > values[arg]:
                raise ParameterError(f"parameter '{name}' ({v}) is after '{arg}' ({values[arg]})")
            if rule == "differs_from" and v == values.get(arg):
                raise ParameterError(f"parameters '{name}' and '{arg}' have the same value ({v!r})")
            if rule == "file":
                values[name] = _existing_file(name, v)
            if rule == "text_settings":
                from ..text import TextSettings

                try:
                    ts = TextSettings.coerce(v or {})
                    if ts.tokens != "surface":  # morphology needs camel-tools' data: say so before any kernel starts
                        from ..text.morphology import morphology_info

                        morphology_info()
                except ValueError as e:
                    raise ParameterError(f"parameter '{name}': {e}") from None


def _convert(p: Parameter, value: Any, from_text: bool) -> Any:
    """``value`` as type ``p.type``; raises ParameterError naming the parameter."""
    def bad(why: str = "") -> ParameterError:
        return ParameterError(f"parameter '{p.name}': {value!r} is not a valid {p.type_label}" + (f" ({why})" if why else ""))

    if from_text and p.type.startswith("list[") and isinstance(value, str) and not value.strip():
        return []  # -p NAME "" : an empty list
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
    checks: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Defaults, overridden by a YAML mapping, overridden by ``-p NAME VALUE`` pairs; all checked
    against their types and the notebook's ``checks`` (those that need no corpus).

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
    check_parameters(values, checks or {})
    return values


def check_against_corpus(values: dict[str, Any], checks: dict[str, dict[str, Any]], docs) -> None:
    """Apply the rules of ``checks`` that need the corpus metadata ``docs`` (:meth:`Store.metadata`).

    Each error names the parameter and lists the valid values.
    """
    hidden = {"id", "title", "text", "url", "date", "n_words", "text_hash", "content_hash"}

    def valid_values(column: str) -> list[str]:
        return sorted(docs[column].dropna().astype(str).unique())

    for name, rules in checks.items():
        v = values.get(name)
        if v is None or not (set(rules) & _CORPUS_RULES):
            continue
        for rule, arg in rules.items():
            if rule == "corpus_column" and v not in docs.columns:
                cols = [c for c in docs.columns if c not in hidden]
                raise ParameterError(f"parameter '{name}': '{v}' is not a corpus column (valid: {', '.join(cols)})")
            if rule == "value_of" and values.get(arg) in docs.columns:
                valid = valid_values(values[arg])
                for item in _items(v):
                    if item not in valid:
                        raise ParameterError(f"parameter '{name}': '{item}' is not a value of "
                                             f"'{values[arg]}' (valid: {', '.join(valid)})")
            if rule == "outlet":
                valid = valid_values("outlet")
                for item in _items(v):
                    if item not in valid:
                        raise ParameterError(f"parameter '{name}': '{item}' is not an outlet of this corpus "
                                             f"(valid: {', '.join(valid)})")
            if rule == "where":
                from ..analysis import Selection

                try:
                    Selection(where=v).apply(docs)
                except WorkbenchError as e:
                    raise ParameterError(f"parameter '{name}': {e}") from None
            if rule == "outlets_per_group" and v > 1 and values.get("group") in docs.columns:
                for other in arg:
                    g = values.get(other)
                    if g is None:
                        continue
                    sel = docs[values["group"]].astype(str).isin(_items(g))
                    n = docs.loc[sel, "outlet"].nunique()
                    if n < v:
                        raise ParameterError(
                            f"parameter '{name}': {v} outlets are required but the {other} group '{g}' has "
                            f"only {n}; no term could be key for it (use {name} {n})"
                        )
