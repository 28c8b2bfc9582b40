"""The outlet registry: which outlets exist, their names, and which camp each belongs to.

Camps and any other grouping are data, not code: a registry is a YAML file (see
``corpus/outlets.yaml``) that a researcher edits. A corpus may name its own registry (the demo
corpus ships ``corpus/demo/outlets.yaml``); the store keeps a copy of the registry it was imported
with, so a corpus can always be read back with the camps it was analysed under.

Outlets are matched by id, English name, Arabic name or any alias, ignoring case and repeated
spaces, so a dataset whose ``outlet`` column says "Freedom and Justice Party (FJP)" maps to the
registry id ``fjp``.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from ..collect.feeds import feed_specs
from ..errors import RegistryError
from ..paths import DEFAULT_REGISTRY, PROJECT_ROOT  # noqa: F401 - PROJECT_ROOT kept importable from here

_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
FIELDS = ("id", "name_ar", "name_en", "camp", "country", "homepage", "feeds", "aliases", "notes")
REQUIRED = ("id", "name_en", "camp")


def _key(name: str) -> str:
    """Matching key for an outlet name: NFKC, case-folded, inner whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", str(name)).casefold().split())


@dataclass
class Registry:
    """Outlets of one registry file, with a lookup from any known name to the outlet id."""

    name: str
    outlets: list[dict]
    camps: dict[str, str] = field(default_factory=dict)
    description: str = ""
    source: str = ""

    def __post_init__(self) -> None:
        self._lookup: dict[str, str] = {}
        for o in self.outlets:
            for n in [o["id"], o.get("name_en"), o.get("name_ar"), *(o.get("aliases") or [])]:
                if n:
                    self._lookup.setdefault(_key(n), o["id"])

    @property
    def ids(self) -> list[str]:
        return [o["id"] for o in self.outlets]

    def resolve(self, name) -> str | None:
        """The outlet id for ``name`` (id, English or Arabic name, or alias), or None."""
        if name is None:
            return None
        return self._lookup.get(_key(name))

    def outlet(self, outlet_id: str) -> dict:
        for o in self.outlets:
            if o["id"] == outlet_id:
                return o
        raise KeyError(outlet_id)

    def to_frame(self) -> pd.DataFrame:
        """One row per outlet: id, names, camp, country, homepage, notes."""
        cols = ["id", "name_ar", "name_en", "camp", "country", "homepage", "notes"]
        return pd.DataFrame([{c: o.get(c) for c in cols} for o in self.outlets], columns=cols)

    def to_dict(self) -> dict:
        return {
            "registry": self.name,
            "description": self.description,
            "camps": dict(self.camps),
            "outlets": [dict(o) for o in self.outlets],
        }

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), allow_unicode=True, sort_keys=False, width=100)

    def merged_with(self, other: "Registry") -> "Registry":
        """This registry plus the outlets of ``other`` that it lacks.

        An outlet id present in both with a different camp is an error: the store would otherwise
        silently re-label earlier articles.
        """
        outlets = [dict(o) for o in self.outlets]
        mine = {o["id"]: o for o in outlets}
        for o in other.outlets:
            if o["id"] not in mine:
                outlets.append(dict(o))
            elif mine[o["id"]].get("camp") != o.get("camp"):
                raise RegistryError(
                    f"{other.source}: outlet '{o['id']}': camp '{o.get('camp')}' differs from "
                    f"'{mine[o['id']].get('camp')}' in the store's registry; edit one of them so they agree"
                )
        camps = {**other.camps, **self.camps}
        return Registry(self.name, outlets, camps, self.description, self.source)


def parse_registry(data, source: str = "<registry>") -> Registry:
    """Build and check a :class:`Registry` from parsed YAML; errors name the file and outlet."""
    if not isinstance(data, dict) or not isinstance(data.get("outlets"), list):
        raise RegistryError(f"{source}: expected a mapping with an 'outlets:' list")
    camps = data.get("camps") or {}
    if not isinstance(camps, dict):
        raise RegistryError(f"{source}: 'camps' must map each camp name to a description")
    outlets, seen, names = [], set(), {}
    for i, raw in enumerate(data["outlets"], start=1):
        if not isinstance(raw, dict):
            raise RegistryError(f"{source}: outlet #{i}: expected a mapping of fields")
        label = f"outlet #{i}" + (f" '{raw['id']}'" if raw.get("id") else "")
        unknown = sorted(set(raw) - set(FIELDS))
        if unknown:
            raise RegistryError(
                f"{source}: {label}: unknown field '{unknown[0]}' (allowed: {', '.join(FIELDS)})"
            )
        for f in REQUIRED:
            if not raw.get(f):
                raise RegistryError(f"{source}: {label}: field '{f}' is missing")
        oid = str(raw["id"])
        if not _ID.match(oid):
            raise RegistryError(
                f"{source}: {label}: id must be lowercase letters, digits and '-' (got '{oid}')"
            )
        if oid in seen:
            raise RegistryError(f"{source}: {label}: duplicate id '{oid}'")
        seen.add(oid)
        if camps and raw["camp"] not in camps:
            raise RegistryError(
                f"{source}: {label}: camp '{raw['camp']}' is not listed under 'camps:' "
                f"({', '.join(camps)})"
            )
        for f in ("feeds", "aliases"):
            if raw.get(f) is not None and not isinstance(raw[f], list):
                raise RegistryError(f"{source}: {label}: field '{f}' must be a list")
        o = {f: raw.get(f) for f in FIELDS}
        o["feeds"] = list(o["feeds"] or [])
        try:   # each a URL, or {url, kind: feed | sitemap, verified: true | false}
            feed_specs(o, source)
        except ValueError as e:
            raise RegistryError(str(e)) from None
        o["aliases"] = [str(a) for a in (o["aliases"] or [])]
        for n in [oid, o["name_en"], o["name_ar"], *o["aliases"]]:
            if not n:
                continue
            k = _key(n)
            if names.get(k, oid) != oid:
                raise RegistryError(
                    f"{source}: {label}: name '{n}' is also used by outlet '{names[k]}'"
                )
            names[k] = oid
        outlets.append(o)
    return Registry(
        name=str(data.get("registry") or Path(source).stem),
        outlets=outlets,
        camps={str(k): str(v) for k, v in camps.items()},
        description=str(data.get("description") or ""),
        source=source,
    )


def load_registry(path: str | Path | None = None) -> Registry:
    """Read a registry YAML file (default: the project's ``corpus/outlets.yaml``)."""
    path = Path(path) if path is not None else DEFAULT_REGISTRY
    if not path.is_file():
        raise RegistryError(f"{path}: registry file not found")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise RegistryError(f"{path}: byte {e.start}: not UTF-8 ({e.reason}); save the registry as UTF-8") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise RegistryError(_yaml_error(path, e)) from None
    return parse_registry(data, str(path))


def _yaml_error(path: Path, e: yaml.YAMLError, what: str = "registry") -> str:
    """One line naming the file and line of a YAML error (tags such as ``!!python/object`` included);
    ``what`` names the kind of file (a registry, a lexicon) in the message."""
    mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
    where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
    problem = " ".join(str(getattr(e, "problem", None) or e).split())
    if isinstance(e, yaml.constructor.ConstructorError) and "tag" in problem:
        tag = problem.split("tag", 1)[1].strip().strip("'")
        tag = tag.replace("tag:yaml.org,2002:", "!!")
        return (f"{where}: the tag '{tag}' is not allowed in a {what} (only plain mappings, lists and "
                f"text; a {what} is never executed); remove the tag")
    col = f" at column {mark.column + 1}" if mark is not None else ""
    return f"{where}: not valid YAML ({problem}{col}); fix the syntax (indentation, quotes, brackets)"
