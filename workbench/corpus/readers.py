"""Readers for the source formats a corpus can be imported from, and their text encodings.

Formats: JSON Lines (``.jsonl``, ``.ndjson``, optionally ``.gz``), CSV and TSV (optionally ``.gz``),
and a folder of ``.txt`` files described by a metadata CSV. Each reader yields :class:`Record`
objects carrying the file and line they came from, so validation can say exactly where a problem
is.

Encodings: UTF-8, UTF-8 with BOM, UTF-16 (with or without BOM) and Windows-1256 (still common in
Arabic web archives) are detected; any codec Python knows can be named. Input that cannot be
decoded is an error naming the file and the byte offset — never silent mojibake. Windows-1256 is
only guessed when the file's first non-ASCII byte is not UTF-8 *and* the decoded text is
overwhelmingly Arabic; a UTF-8 file with one corrupt byte is an error, not a guess.
"""
from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError, Problem

FIELDS = ("id", "outlet", "date", "title", "text", "url")
FORMATS = ("jsonl", "csv", "tsv", "txt")


@dataclass
class Record:
    """One article as read from a source, before validation."""

    file: str
    line: int
    data: dict


@dataclass
class Source:
    """A source file (or folder) that was read: its records and what an import catalogues."""

    path: str
    format: str
    encoding: str
    sha256: str
    size: int
    records: list[Record] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


# --------------------------------------------------------------------------- encodings

def _arabic_share(text: str) -> float:
    non_ascii = [c for c in text if ord(c) > 127]
    if not non_ascii:
        return 0.0
    return sum(1 for c in non_ascii if "\u0600" <= c <= "\u06ff") / len(non_ascii)


def _utf16_without_bom(data: bytes) -> str | None:
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even = sample[0::2].count(0) / (len(sample) / 2)
    odd = sample[1::2].count(0) / (len(sample) / 2)
    # Arabic in UTF-16 has 0x06 high bytes, ASCII has 0x00: count both as "high" bytes.
    even_hi = sum(1 for b in sample[0::2] if b in (0, 6)) / (len(sample) / 2)
    odd_hi = sum(1 for b in sample[1::2] if b in (0, 6)) / (len(sample) / 2)
    if odd + even > 0.2 and odd_hi > 0.9:
        return "utf-16-le"
    if odd + even > 0.2 and even_hi > 0.9:
        return "utf-16-be"
    return None


def canonical_encoding(name: str) -> str:
    """Python's name for a codec the user named (``windows-1256`` → ``cp1256``)."""
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise InputError(
            f"unknown encoding '{name}' (try utf-8, utf-8-sig, utf-16 or cp1256)"
        ) from None


def decode(data: bytes, path: str, encoding: str | None = None) -> tuple[str, str]:
    """Decode ``data`` strictly; return ``(text, encoding used)``.

    With ``encoding`` None the encoding is detected (BOM, then UTF-8, UTF-16 without BOM,
    Windows-1256). Errors name ``path`` and the offending byte offset.
    """
    if encoding is not None:
        enc = canonical_encoding(encoding)
        if enc == "utf-8" and data.startswith(codecs.BOM_UTF8):
            enc = "utf-8-sig"
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError as e:
            raise InputError(
                f"{path}: byte {e.start}: cannot be decoded as {enc} ({e.reason}); "
                "check the file's encoding or omit --encoding to detect it"
            ) from None
    if data.startswith(codecs.BOM_UTF8):
        enc = "utf-8-sig"
    elif data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        enc = "utf-16"
    else:
        enc = None
    if enc:
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError as e:
            raise InputError(
                f"{path}: byte {e.start}: invalid {enc} data despite its byte-order mark ({e.reason})"
            ) from None
    # UTF-16 without a BOM first: Arabic in UTF-16 (0x06xx code units) is also valid UTF-8 bytes,
    # full of NULs and control characters. Real UTF-8 text has no NUL bytes.
    utf16 = _utf16_without_bom(data) if b"\x00" in data[:4096] else None
    if utf16:
        try:
            return data.decode(utf16), utf16
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as e:
        bad = e.start
    # Windows-1256 only if nothing before the bad byte was multi-byte UTF-8 and the result is Arabic.
    if not any(b > 127 for b in data[:bad]):
        try:
            text = data.decode("cp1256")
        except UnicodeDecodeError:
            text = None
        if text is not None and _arabic_share(text) >= 0.8:
            return text, "cp1256"
    raise InputError(
        f"{path}: byte {bad}: not valid UTF-8 and not recognisable as UTF-16 or Windows-1256; "
        "name the encoding with --encoding (e.g. --encoding cp1256)"
    )


def read_bytes(path: Path) -> tuple[bytes, str, int]:
    """Raw bytes of ``path`` (decompressed if ``.gz``), its sha256 and size on disk."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise InputError(f"{path}: cannot read file: {e.strerror}") from None
    digest = hashlib.sha256(raw).hexdigest()
    if path.suffix == ".gz":
        try:
            data = gzip.decompress(raw)
        except (OSError, EOFError) as e:
            raise InputError(f"{path}: not a valid gzip file: {e}") from None
    else:
        data = raw
    return data, digest, len(raw)


# --------------------------------------------------------------------------- formats

def detect_format(path: Path) -> str:
    if path.is_dir():
        return "txt"
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    ext = suffixes[-1] if suffixes else ""
    if ext in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if ext == ".csv":
        return "csv"
    if ext in (".tsv", ".tab"):
        return "tsv"
    raise InputError(
        f"{path}: cannot tell the format from the name; pass --format ({', '.join(FORMATS)})"
    )


def _apply_mapping(row: dict, columns: dict[str, str]) -> dict:
    if not columns:
        return row
    out = dict(row)
    for ours, theirs in columns.items():
        if theirs in out:
            out[ours] = out.pop(theirs)
    return out


def _check_mapping(path: str, header: list[str], columns: dict[str, str]) -> None:
    missing = [theirs for theirs in columns.values() if theirs not in header]
    if missing:
        raise InputError(
            f"{path}: column '{missing[0]}' (named by a column mapping) is not in the file; "
            f"its columns are: {', '.join(header)}"
        )


def _read_jsonl(path: Path, text: str, columns: dict[str, str]) -> tuple[list[Record], list[Problem]]:
    records, problems = [], []
    name = str(path)
    checked = not columns
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            problems.append(Problem(name, lineno, "json", f"not valid JSON ({e.msg} at column {e.colno})"))
            continue
        if not isinstance(obj, dict):
            problems.append(Problem(name, lineno, "json", "expected a JSON object per line"))
            continue
        if not checked:
            _check_mapping(name, list(obj), columns)
            checked = True
        records.append(Record(name, lineno, _apply_mapping(obj, columns)))
    return records, problems


def _read_delimited(
    path: Path, text: str, delimiter: str, columns: dict[str, str]
) -> tuple[list[Record], list[Problem]]:
    name = str(path)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise InputError(f"{name}: the file is empty (expected a header line)") from None
    except csv.Error as e:
        raise InputError(f"{name}:1: cannot parse the header line: {e}") from None
    header = [h.strip() for h in header]
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise InputError(f"{name}:1: column '{dupes[0]}' appears more than once in the header")
    _check_mapping(name, header, columns)
    records, problems = [], []
    start = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            problems.append(Problem(name, start, "csv", f"cannot parse the row: {e}"))
            break
        line, start = start, reader.line_num + 1
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != len(header):
            problems.append(
                Problem(name, line, "csv", f"expected {len(header)} fields, found {len(row)}")
            )
            continue
        data = {h: (v if v != "" else None) for h, v in zip(header, row)}
        records.append(Record(name, line, _apply_mapping(data, columns)))
    return records, problems


def _read_txt_folder(
    folder: Path, metadata: Path | None, encoding: str | None, columns: dict[str, str]
) -> Source:
    meta_path = metadata or folder / "metadata.csv"
    if not meta_path.is_file():
        raise InputError(
            f"{folder}: a folder of .txt files needs a metadata CSV ({meta_path} not found); "
            "pass --metadata FILE"
        )
    data, digest, size = read_bytes(meta_path)
    text, enc = decode(data, str(meta_path), encoding)
    delimiter = "\t" if meta_path.suffix.lower() in (".tsv", ".tab") else ","
    rows, problems = _read_delimited(meta_path, text, delimiter, columns)
    h = hashlib.sha256(digest.encode())
    listed = set()
    records = []
    for rec in rows:
        fname = rec.data.get("file") or (f"{rec.data['id']}.txt" if rec.data.get("id") else None)
        if not fname:
            problems.append(Problem(rec.file, rec.line, "file", "missing (name the article's .txt file)"))
            continue
        fpath = folder / fname
        listed.add(fpath.resolve())
        if not fpath.is_file():
            problems.append(Problem(rec.file, rec.line, "file", f"{fpath} does not exist"))
            continue
        raw, fdigest, _ = read_bytes(fpath)
        h.update(fdigest.encode())
        body, _ = decode(raw, str(fpath), encoding)
        rec.data = {k: v for k, v in rec.data.items() if k != "file"}
        if rec.data.get("text"):
            problems.append(Problem(rec.file, rec.line, "text", "given both in the metadata and as a file"))
            continue
        rec.data["text"] = body
        if not rec.data.get("id"):
            rec.data["id"] = fpath.stem
        records.append(rec)
    for stray in sorted(folder.glob("*.txt")):
        if stray.resolve() not in listed:
            problems.append(Problem(str(stray), None, "file", f"not listed in {meta_path.name}"))
    return Source(str(folder), "txt", enc, h.hexdigest(), size, records, problems)


def read_source(
    path: str | Path,
    format: str | None = None,
    encoding: str | None = None,
    columns: dict[str, str] | None = None,
    metadata: str | Path | None = None,
) -> Source:
    """Read one source into records (not yet validated).

    ``columns`` maps our field names to the source's column names, e.g. ``{"text": "body"}``.
    Problems with single records are collected in ``Source.problems``; problems with the file as a
    whole raise :class:`InputError`.
    """
    path = Path(path)
    columns = dict(columns or {})
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    fmt = format or detect_format(path)
    if fmt not in FORMATS:
        raise InputError(f"{path}: unknown format '{fmt}' (choose one of {', '.join(FORMATS)})")
    if fmt == "txt":
        if not path.is_dir():
            raise InputError(f"{path}: format 'txt' expects a folder of .txt files")
        return _read_txt_folder(path, Path(metadata) if metadata else None, encoding, columns)
    if path.is_dir():
        raise InputError(f"{path}: is a folder; folders are read as .txt files with a metadata CSV")
    data, digest, size = read_bytes(path)
    text, enc = decode(data, str(path), encoding)
    if fmt == "jsonl":
        records, problems = _read_jsonl(path, text, columns)
    else:
        records, problems = _read_delimited(path, text, "," if fmt == "csv" else "\t", columns)
    return Source(str(path), fmt, enc, digest, size, records, problems)
