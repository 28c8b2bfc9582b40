r"""Validation of imported records: every problem is reported as ``file:line: field: what is wrong``.

Checks: the required fields (``id``, ``outlet``, ``date``, ``text``) are present, the outlet is in
the registry, the date parses, an id is not reused for different content (within the import or
against the store), and no field holds a character that cannot be stored: a lone surrogate (only a
JSON escape such as ``"\ud800"`` can produce one; it has no UTF-8 form) or NUL (U+0000, a sign of
a corrupt or binary record). An ``id`` may be a string or an integer (stored as its decimal string);
``text`` must be a string. HTML markup and entities, presentation-form Arabic (U+FB50–U+FEFF) and
other control characters are stored as given: the store keeps the source's text, and cleaning is the
text pipeline's business (``workbench.text.normalise`` folds presentation forms with NFKC).

Exact duplicates — the same outlet and the same text after light normalisation — are dropped and
counted, not reported as errors, so re-importing a file adds nothing.
"""
from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone

from ..errors import Problem
from .readers import FIELDS, Record
from .registry import Registry

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_INVISIBLE = re.compile("[\u0640\u064b-\u065f\u0670\u06d6-\u06ed\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def dedup_key(text: str) -> str:
    """Text normalised for duplicate detection: NFKC, no diacritics/tatweel/bidi marks, spaces collapsed."""
    return " ".join(_INVISIBLE.sub("", unicodedata.normalize("NFKC", text)).split())


def text_hash(outlet: str, text: str) -> str:
    """Hash identifying an article's content within an outlet (for exact-duplicate detection)."""
    return hashlib.blake2b(f"{outlet}\x00{dedup_key(text)}".encode(), digest_size=16).hexdigest()


def parse_date(value, date_format: str | None = None) -> datetime | None:
    """Parse an ISO 8601 date or date-time (or ``date_format`` for strptime); None if impossible.

    Time-zone-aware values are converted to UTC and stored without a zone.
    """
    if value is None:
        return None
    s = str(value).strip()
    if not s:
        return None
    try:
        d = datetime.strptime(s, date_format) if date_format else datetime.fromisoformat(s)
    except ValueError:
        return None
    if d.tzinfo is not None:
        d = d.astimezone(timezone.utc).replace(tzinfo=None)
    return d


def _unstorable(data: dict) -> tuple[str, str] | None:
    """``(field, message)`` for the first field (or key) holding a lone surrogate or NUL, else None."""
    for k, v in data.items():
        for what, s in (("name", k), ("value", v)):
            if not isinstance(s, str):
                if not isinstance(s, (dict, list)):
                    continue
                s = json.dumps(s, ensure_ascii=False)
            m = _UNSTORABLE.search(s)
            if m is None:
                continue
            ch = m.group()
            label = str(k).encode("utf-8", "backslashreplace").decode() if what == "name" else k
            where = "its name contains" if what == "name" else "contains"
            if ch == "\x00":
                return label, (f"{where} a NUL character (U+0000) at position {m.start()}; the record is "
                               "corrupt or binary: fix the export or remove the record")
            return label, (f"{where} a lone surrogate (\\u{ord(ch):04x}) at position {m.start()}, which "
                           "cannot be stored as UTF-8; fix the JSON escape (a pair \\ud8xx\\udcxx is needed) "
                           "or remove the character")
    return None


_JSON_TYPE = {int: "a number", float: "a number", bool: "true/false", list: "an array", dict: "an object"}


def _scalar(v):
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False, sort_keys=True)
    return str(v)


@dataclass
class Validated:
    """Outcome of validating an import: the rows to write and what was dropped or rejected."""

    rows: list[dict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    rejected: list[tuple[Record, list[Problem]]] = field(default_factory=list)
    read: int = 0
    duplicates: int = 0          # same outlet + same normalised text, dropped
    already_in_store: int = 0    # same id and same content as a stored article, dropped
    per_file: Counter = field(default_factory=Counter)

    def reject(self, rec: Record, fieldname: str, message: str) -> None:
        """Refuse ``rec`` for one problem in ``fieldname``."""
        p = Problem(rec.file, rec.line, fieldname, message)
        self.problems.append(p)
        self.rejected.append((rec, [p]))


class Validator:
    """Validation of an import fed in batches: what :func:`validate` does, with memory bounded by the batch.

    State kept across batches: each id seen (with its content hash and where it was first seen,
    not the record), the text hashes seen, unknown outlets (the first record naming each) and
    counters. ``feed(records)`` returns a :class:`Validated` for that batch (rows to write,
    problems, rejected records); ``finish()`` returns the problems only known at the end (unknown
    outlets, listed once).
    """

    def __init__(self, registry: Registry, *, stored_ids: dict[str, str] | None = None,
                 stored_hashes: set[str] | None = None, date_format: str | None = None,
                 registry_label: str = "the registry") -> None:
        self.registry = registry
        self.stored_ids = stored_ids or {}
        self.stored_hashes = stored_hashes or set()
        self.date_format = date_format
        self.registry_label = registry_label
        self.seen_ids: dict[str, tuple[str, str, int]] = {}
        self.seen_text: set[str] = set()
        self.unknown: dict[str, list] = {}     # outlet → [count, first file, first line]
        self.date_cache: dict[str, datetime | None] = {}

    def feed(self, records) -> Validated:
        out = Validated()
        registry, date_format, registry_label = self.registry, self.date_format, self.registry_label
        stored_ids, stored_hashes = self.stored_ids, self.stored_hashes
        seen_ids, seen_text, unknown, date_cache = self.seen_ids, self.seen_text, self.unknown, self.date_cache
        if len(date_cache) > 100_000:
            date_cache.clear()
        for rec in records:
            out.read += 1
            d = rec.data
            probs: list[Problem] = []

            def bad(fieldname: str, msg: str) -> None:
                probs.append(Problem(rec.file, rec.line, fieldname, msg))

            unstorable = _unstorable(d)
            if unstorable:
                out.reject(rec, *unstorable)
                continue
            text = d.get("text")
            if text is not None and not isinstance(text, str):
                bad("text", f"expected a string, found {_JSON_TYPE.get(type(text), type(text).__name__)}")
                text = ""
            elif text is None or not text.strip():
                bad("text", "missing text")
                text = ""
            raw_outlet = d.get("outlet")
            outlet = None
            if raw_outlet is None or not str(raw_outlet).strip():
                bad("outlet", "missing outlet")
            else:
                outlet = registry.resolve(raw_outlet)
                if outlet is None:
                    u = unknown.setdefault(str(raw_outlet), [0, rec.file, rec.line])
                    u[0] += 1
                    bad("outlet", f"'{raw_outlet}' is not in {registry_label}")
            raw_date = d.get("date")
            key = str(raw_date)
            if key not in date_cache:
                date_cache[key] = parse_date(raw_date, date_format)
            date = date_cache[key]
            if raw_date is None or not str(raw_date).strip():
                bad("date", "missing date")
            elif date is None:
                hint = f"format {date_format!r}" if date_format else "ISO 8601 (2024-03-01 or 2024-03-01T14:30:00), or pass --date-format"
                bad("date", f"cannot parse '{raw_date}' as a date (expected {hint})")
            if "id" in d:
                raw_id = d["id"]
                if raw_id is not None and (isinstance(raw_id, bool) or not isinstance(raw_id, (str, int))):
                    bad("id", f"expected a string or an integer, found {_JSON_TYPE.get(type(raw_id), type(raw_id).__name__)} "
                              f"({json.dumps(raw_id, ensure_ascii=False)[:40]}); write the id as a string")
                    art_id = "?"
                else:
                    art_id = None if raw_id is None else str(raw_id).strip()
                    if not art_id:
                        bad("id", "missing id")
            else:  # the source has no id column at all: derive a stable id from the content
                art_id = f"{outlet or 'unknown'}-{text_hash(outlet or '', text)[:16]}"

            if probs:
                out.problems.extend(probs)
                out.rejected.append((rec, probs))
                continue

            thash = text_hash(outlet, text)
            title = _scalar(d.get("title"))
            url = _scalar(d.get("url"))
            content = hashlib.blake2b(
                json.dumps([outlet, date.isoformat(), title, text], ensure_ascii=False).encode(),
                digest_size=16,
            ).hexdigest()
            if art_id in seen_ids:
                prev_content, prev_file, prev_line = seen_ids[art_id]
                if prev_content == content:
                    out.duplicates += 1
                    continue
                out.reject(rec, "id", f"duplicate id '{art_id}' with different content (first at {prev_file}:{prev_line})")
                continue
            if art_id in stored_ids:
                if stored_ids[art_id] == content:
                    out.already_in_store += 1
                    continue
                out.reject(rec, "id", f"id '{art_id}' is already in the store with different content")
                continue
            seen_ids[art_id] = (content, rec.file, rec.line)
            if thash in seen_text or thash in stored_hashes:
                out.duplicates += 1
                continue
            seen_text.add(thash)
            row = {
                "id": art_id,
                "outlet": outlet,
                "date": date,
                "title": title,
                "text": text,
                "url": url,
                "n_words": len(text.split()),
                "text_hash": thash,
                "content_hash": content,
            }
            for k, v in d.items():
                if k not in FIELDS and k not in row:
                    row[k] = _scalar(v)
            out.rows.append(row)
            out.per_file[rec.file] += 1

        return out

    def finish(self) -> list[Problem]:
        """Problems known only once every record was seen: the unknown outlets, one line for all."""
        unknown, registry_label = self.unknown, self.registry_label
        if not unknown:
            return []
        names = ", ".join(
            f"'{n}' ({c} row{'s' if c > 1 else ''}, first at {f}:{ln})"
            for n, (c, f, ln) in sorted(unknown.items())
        )
        return [Problem(
            "import", None, "outlet",
            f"{len(unknown)} unknown outlet{'s' if len(unknown) > 1 else ''}: {names}; "
            f"add {'them' if len(unknown) > 1 else 'it'} to {registry_label} or pass --registry FILE",
        )]


def validate(
    records: list[Record],
    registry: Registry,
    *,
    stored_ids: dict[str, str] | None = None,
    stored_hashes: set[str] | None = None,
    date_format: str | None = None,
    registry_label: str = "the registry",
) -> Validated:
    """Check ``records`` against ``registry`` and the store's existing ids and text hashes.

    ``stored_ids`` maps each stored id to its content hash; ``stored_hashes`` holds the stored
    ``text_hash`` values. Returns a :class:`Validated`; nothing is raised for bad records.
    (One batch of a :class:`Validator`.)
    """
    v = Validator(registry, stored_ids=stored_ids, stored_hashes=stored_hashes, date_format=date_format,
                  registry_label=registry_label)
    out = v.feed(records)
    out.problems += v.finish()
    return out
