r"""Readers for the source formats a corpus can be imported from, and their text encodings.

Formats: JSON Lines (``.jsonl``, ``.ndjson``, optionally ``.gz``), CSV and TSV (optionally ``.gz``),
and a folder of ``.txt`` files described by a metadata CSV. Each reader yields :class:`Record`
objects carrying the file and line they came from, so validation can say exactly where a problem
is.

:func:`open_source` reads the same formats as a stream of record batches (what imports use, so
memory does not grow with the file); :func:`read_source` reads a source whole.

Encodings: UTF-8, UTF-8 with BOM, UTF-16 (with or without BOM) and Windows-1256 (still common in
Arabic web archives) are detected; any codec Python knows can be named. Input that cannot be
decoded is an error naming the file and the byte offset — never silent mojibake. Windows-1256 is
only guessed when the file's first non-ASCII byte is not UTF-8 *and* the decoded text is
overwhelmingly Arabic; a UTF-8 file with one corrupt byte is an error, not a guess.

What is tolerated, and what is refused (tested in ``tests/robustness/``):

- JSON Lines are split on ``\n`` only (``\r\n`` and, in a file without any ``\n``, ``\r`` also end
  a line), never on U+2028, U+2029, U+0085 or other characters ``str.splitlines`` treats as line
  breaks, so line numbers are those of any editor. A byte-order mark at the start of a line (files
  joined with ``cat``) is ignored; raw control characters inside strings (strictly invalid JSON,
  common in scraped exports) are kept as given. ``NaN``/``Infinity``, a key given twice in one
  object, and a line that is not an object are per-line problems.
- TSV is read as text/tab-separated-values: no quoting, ``"`` is an ordinary character, so a field
  cannot hold a tab or a line break. Only when that reading fails (rows with the wrong number of
  fields) and a CSV-style quoted reading fits every row (files written by pandas or Python's csv
  module with a tab delimiter) is the quoted reading used.
- CSV fields may be of any size (the csv module's 131,072-character limit is lifted while reading).
- A file with no articles (0 bytes, blank lines only, a header only) is an error, not an import of
  nothing; so is a CSV/TSV header lacking the fields the import needs.
- In a folder of ``.txt`` files, a metadata row naming a file outside the folder (``../x``,
  ``/etc/passwd``, a symbolic link pointing out) is refused.
"""
from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import json
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError, Problem

FIELDS = ("id", "outlet", "date", "title", "text", "url")
#: Fields a column mapping (``columns=``, ``--column FIELD=COLUMN``) may name: the article fields and,
#: for a folder of .txt files, ``file`` (the metadata column naming each article's file).
MAPPABLE_FIELDS = (*FIELDS, "file")
FORMATS = ("jsonl", "csv", "tsv", "txt")
REQUIRED = ("outlet", "date", "text")   # ``id`` may be absent: ids are then derived from the content
EMPTY_HINT = "a failed download? Check the file, or leave it out of the import"


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


def _where(data: bytes, offset: int, path: str, enc: str = "") -> str:
    """``FILE:LINE: byte N`` for an error message; for a .gz file the offset is in the decompressed data.

    (No line for UTF-16, whose newline bytes cannot be counted without decoding.)
    """
    gz = " of the decompressed data" if str(path).endswith(".gz") else ""
    if enc.startswith("utf-16"):
        return f"{path}: byte {offset}{gz}"
    line = data.count(b"\n", 0, offset) + 1
    return f"{path}:{line}: byte {offset}{gz}"


def decode(data: bytes, path: str, encoding: str | None = None) -> tuple[str, str]:
    """Decode ``data`` strictly; return ``(text, encoding used)``.

    With ``encoding`` None the encoding is detected (BOM, then UTF-8, UTF-16 without BOM,
    Windows-1256). Errors name ``path``, the offending byte offset and its line.
    """
    if encoding is not None:
        enc = canonical_encoding(encoding)
        if enc == "utf-8" and data.startswith(codecs.BOM_UTF8):
            enc = "utf-8-sig"
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError as e:
            raise InputError(
                f"{_where(data, e.start, path, enc)}: cannot be decoded as {enc} ({e.reason}); "
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
                f"{_where(data, e.start, path, enc)}: invalid {enc} data despite its byte-order mark "
                f"({e.reason}); the file is damaged or mixes encodings: re-export it in one encoding"
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
    mixed = any(b > 127 for b in data[:bad])
    raise InputError(
        f"{_where(data, bad, path)}: not valid UTF-8 and not recognisable as UTF-16 or Windows-1256; "
        + ("the file mixes encodings (valid UTF-8 before this byte): re-export it in one encoding"
           if mixed else "name the encoding with --encoding (e.g. --encoding cp1256)")
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
        except (OSError, EOFError, gzip.BadGzipFile) as e:
            raise InputError(
                f"{path}: not a valid gzip file ({' '.join(str(e).split())}); "
                "it is truncated or damaged: download or compress it again"
            ) from None
    else:
        data = raw
    return data, digest, len(raw)


# --------------------------------------------------------------------------- formats

def detect_format(path: Path) -> str:
    if path.is_dir():
        if path.suffix.lower() in (".jsonl", ".ndjson", ".json", ".csv", ".tsv", ".tab", ".gz"):
            raise InputError(f"{path}: is a folder, not a {path.suffix} file; name the file inside it")
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


def split_lines(text: str) -> list[str]:
    r"""Lines of a JSON Lines text: split on ``\n`` only (a trailing ``\r`` is dropped).

    Unlike ``str.splitlines`` this keeps U+2028, U+2029, U+0085, ``\x0b``, ``\x0c`` and
    ``\x1c``-``\x1e`` inside their line: ``json.dumps(ensure_ascii=False)`` writes them unescaped.
    A file with no ``\n`` at all but ``\r`` line ends (classic Mac) is split on ``\r``.
    """
    sep = "\n" if "\n" in text or "\r" not in text else "\r"
    lines = text.split(sep)
    if sep == "\n" and "\r" in text:
        lines = [ln[:-1] if ln.endswith("\r") else ln for ln in lines]
    return lines


class _DuplicateKey(ValueError):
    pass


def _no_duplicate_keys(pairs: list[tuple]) -> dict:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen = set()
        for k, _ in pairs:
            if k in seen:
                raise _DuplicateKey(k)
            seen.add(k)
    return obj


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON; write null")


_JSON_KIND = {list: "an array", str: "a string", int: "a number", float: "a number",
              bool: "true/false", type(None): "null"}

_LOADS = json.JSONDecoder(object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constant,
                          strict=False).decode


def _parse_json_line(name: str, lineno: int, line: str) -> dict | Problem:
    """One JSON Lines line as an object, or the :class:`Problem` that it is not one."""
    try:
        obj = _LOADS(line)
    except _DuplicateKey as e:
        return Problem(name, lineno, str(e), "appears twice in the object; keep one")
    except json.JSONDecodeError as e:
        cut = e.pos >= len(line.rstrip()) or e.msg.startswith("Unterminated string")
        hint = "the line is cut short (a truncated file?)" if cut else "fix or remove the line"
        return Problem(name, lineno, "json",
                       f"not valid JSON ({e.msg.removesuffix(' at')} at column {e.colno}); {hint}")
    except ValueError as e:
        return Problem(name, lineno, "json", f"not valid JSON ({e})")
    if not isinstance(obj, dict):
        kind = _JSON_KIND.get(type(obj), type(obj).__name__)
        return Problem(name, lineno, "json", f"expected a JSON object per line, found {kind}")
    return obj


def _missing_fields_error(name: str, seen: set) -> InputError | None:
    missing = [f for f in REQUIRED if f not in seen]
    if not missing:
        return None
    return InputError(
        f"{name}: no record has the field{'s' if len(missing) > 1 else ''} "
        f"{', '.join(repr(m) for m in missing)} (fields found: {', '.join(sorted(map(str, seen)))}); "
        f"map a differently named one with --column {missing[0]}=NAME"
    )


def _read_jsonl(path: Path, text: str, columns: dict[str, str]) -> tuple[list[Record], list[Problem]]:
    records, problems = [], []
    name = str(path)
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("["):
        try:
            whole = json.loads(stripped)
        except ValueError:
            whole = None
        if isinstance(whole, list):
            raise InputError(
                f"{name}: is one JSON array, not JSON Lines (one object per line); convert it, "
                f"e.g. jq -c '.[]' {name} > {Path(name).stem}.jsonl"
            )
    checked = not columns
    for lineno, line in enumerate(split_lines(text), start=1):
        if line.startswith("\ufeff"):  # a byte-order mark where files were joined with cat
            line = line.lstrip("\ufeff")
        if not line.strip():
            continue
        obj = _parse_json_line(name, lineno, line)
        if isinstance(obj, Problem):
            problems.append(obj)
            continue
        if not checked:
            _check_mapping(name, list(obj), columns)
            checked = True
        records.append(Record(name, lineno, _apply_mapping(obj, columns)))
    if records:
        seen: set = set()
        for r in records:
            seen.update(r.data)
        err = _missing_fields_error(name, seen)
        if err is not None:
            raise err
    return records, problems


@contextmanager
def _no_field_size_limit():
    """Lift the csv module's per-field limit (131,072 characters) while reading: long articles exist."""
    old = csv.field_size_limit()
    csv.field_size_limit(max(old, 2**31 - 1))
    try:
        yield
    finally:
        csv.field_size_limit(old)


def _iter_rows(name: str, reader, delimiter: str, quoting: int, header: list[str]):
    """``("row", line, row)`` or ``("problem", Problem)`` for each row after the header of ``reader``
    (a ``csv.reader`` whose header line was just read)."""
    start = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            yield "problem", Problem(name, start, "csv", f"cannot parse the row ({e}); fix or remove it")
            start = reader.line_num + 1
            continue
        line, start = start, reader.line_num + 1
        if not row or all(not c.strip() for c in row):
            continue
        if row[0].startswith("\ufeff"):  # a byte-order mark where files were joined with cat
            row[0] = row[0].lstrip("\ufeff")
        if len(row) != len(header):
            msg = f"expected {len(header)} fields, found {len(row)}"
            if start - 1 > line:
                msg += (f" (the row runs on to line {start - 1}: a '\"' without its closing '\"' "
                        "swallows the following lines)" if quoting != csv.QUOTE_NONE else "")
            if quoting == csv.QUOTE_NONE:
                msg += " (a TSV field cannot contain a tab or a line break)"
            yield "problem", Problem(name, line, "csv", msg)
            continue
        yield "row", line, row


def _parse_rows(name: str, text: str, delimiter: str, quoting: int, header: list[str],
                strict: bool = False):
    """Rows after the header as ``(line, row)``, and problems."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quoting=quoting,
                        strict=strict)
    next(reader)
    rows, problems = [], []
    for item in _iter_rows(name, reader, delimiter, quoting, header):
        if item[0] == "row":
            rows.append(item[1:])
        else:
            problems.append(item[1])
    return rows, problems


def _check_header(name: str, header: list[str], delimiter: str, columns: dict[str, str],
                  required=REQUIRED) -> list[str]:
    """The header's column names, or InputError for duplicated or missing columns."""
    header = [h.strip().lstrip("\ufeff") for h in header]
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise InputError(f"{name}:1: column '{dupes[0]}' appears more than once in the header")
    _check_mapping(name, header, columns)
    renamed = {theirs: ours for ours, theirs in columns.items()}
    have = {renamed.get(h, h) for h in header}
    missing = [f for f in required if (f not in have if isinstance(f, str) else not have & set(f))]
    if missing:
        names = ", ".join("/".join(f) if isinstance(f, tuple) else f for f in missing)
        other = [d for d in ";|,\t" if d != delimiter and len(header) == 1 and d in header[0]]
        hint = (f"the header is one column: is the file separated by {other[0]!r}? "
                "Save it with the right separator" if other
                else f"map a differently named column with --column {names.split('/')[0].split(', ')[0]}=NAME")
        raise InputError(
            f"{name}:1: the header lacks the field{'s' if len(missing) > 1 else ''} {names} "
            f"(columns found: {', '.join(header)}); {hint}"
        )
    return header


def _read_delimited(
    path: Path, text: str, delimiter: str, columns: dict[str, str], required=REQUIRED,
) -> tuple[list[Record], list[Problem]]:
    name = str(path)
    tsv = delimiter == "\t"
    quoting = csv.QUOTE_NONE if tsv else csv.QUOTE_MINIMAL
    if not text.strip("\ufeff \t\r\n"):
        what = "0 bytes" if not text else "only blank lines"
        raise InputError(f"{name}: the file is empty ({what}, 0 articles); {EMPTY_HINT}")
    with _no_field_size_limit():
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quoting=quoting)
        try:
            header = next(reader)
        except StopIteration:
            raise InputError(f"{name}: the file is empty (0 articles, not even a header line); {EMPTY_HINT}") from None
        except csv.Error as e:
            raise InputError(f"{name}:1: cannot parse the header line: {e}") from None
        header = _check_header(name, header, delimiter, columns, required)
        rows, problems = _parse_rows(name, text, delimiter, quoting, header)
        if tsv and problems:
            quoted_rows, quoted_problems = _parse_rows(name, text, delimiter, csv.QUOTE_MINIMAL, header,
                                                         strict=True)
            if not quoted_problems:   # written with CSV-style quoting (pandas, Python's csv module)
                rows, problems = quoted_rows, quoted_problems
    if not rows and not problems:
        raise InputError(f"{name}: the file has a header but no rows (0 articles); {EMPTY_HINT}")
    records = [Record(name, line, _apply_mapping({h: (v if v != "" else None) for h, v in zip(header, row)},
                                                 columns))
               for line, row in rows]
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
    rows, problems = _read_delimited(meta_path, text, delimiter, columns,
                                     required=("outlet", "date", ("file", "id")))
    h = hashlib.sha256(digest.encode())
    root = folder.resolve()
    listed = set()
    records = []
    for rec in rows:
        fname = rec.data.get("file") or (f"{rec.data['id']}.txt" if rec.data.get("id") else None)
        if not fname:
            problems.append(Problem(rec.file, rec.line, "file", "missing (name the article's .txt file)"))
            continue
        if "\x00" in fname:
            problems.append(Problem(rec.file, rec.line, "file", f"{fname!r} contains a NUL character"))
            continue
        fpath = folder / fname
        real = fpath.resolve()   # follows symbolic links
        if not real.is_relative_to(root):
            problems.append(Problem(rec.file, rec.line, "file",
                                    f"{fname!r} is outside the corpus folder {folder}; "
                                    "only files inside the folder are imported"))
            continue
        listed.add(real)
        if not fpath.is_file():
            problems.append(Problem(rec.file, rec.line, "file", f"{fpath} does not exist"))
            continue
        raw, fdigest, _ = read_bytes(real)
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
        if not records and not problems:
            what = "0 bytes" if not data else "only blank lines"
            raise InputError(f"{path}: the file is empty ({what}, 0 articles); {EMPTY_HINT}")
    else:
        records, problems = _read_delimited(path, text, "," if fmt == "csv" else "\t", columns)
    return Source(str(path), fmt, enc, digest, size, records, problems)


# --------------------------------------------------------------------------- streaming

#: Bytes read from a file at a time while streaming (decompressed bytes for ``.gz``).
CHUNK = 1 << 20
_BLANK = "\ufeff \t\r\n"


class _ScanFailed(Exception):
    """The streaming scan could not decode the file: the whole-file reader gives the verdict."""


def _open_data(path: Path):
    """A binary stream of the file's data (decompressed if ``.gz``)."""
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


def _file_sha256(path: Path) -> tuple[str, int]:
    try:
        with open(path, "rb") as f:
            digest = hashlib.file_digest(f, "sha256").hexdigest()
    except OSError as e:
        raise InputError(f"{path}: cannot read file: {e.strerror}") from None
    return digest, path.stat().st_size


def _text_chunks(path: Path, encoding: str):
    """The file's text in chunks, decoded strictly with ``encoding`` (known to decode)."""
    dec = codecs.getincrementaldecoder(encoding)(errors="strict")
    with _open_data(path) as f:
        while True:
            block = f.read(CHUNK)
            if not block:
                break
            text = dec.decode(block)
            if text:
                yield text
        tail = dec.decode(b"", final=True)
        if tail:
            yield tail


def _split_stream(chunks, sep: str):
    """Lines of a text stream as :func:`split_lines` gives them for the whole text."""
    pending: list[str] = []      # pieces of a line longer than a chunk (joined once, not re-scanned)
    buf = ""
    for chunk in chunks:
        if sep not in chunk:
            pending.append(chunk)
            continue
        if pending:
            chunk = "".join(pending) + chunk
            pending = []
        lines = (buf + chunk).split(sep) if buf else chunk.split(sep)
        buf = lines.pop()
        for ln in lines:
            yield ln[:-1] if sep == "\n" and ln.endswith("\r") else ln
    buf += "".join(pending)
    yield buf[:-1] if sep == "\n" and buf.endswith("\r") else buf


@dataclass
class StreamSource:
    """A source read as a stream of record batches (see :func:`open_source`).

    ``sha256`` and ``size`` are known when it is opened (one cheap pass over the raw bytes, so a
    known file can be skipped before anything is parsed); whole-file problems (an undecodable byte,
    a damaged gzip, an empty file, a header lacking fields) are raised when opened. ``batches()``
    then yields ``(records, problems)`` with at most ``batch_size`` records each; ``n_records``
    counts what was yielded. A problem only visible at the end (a JSON Lines file none of whose
    records has a required field, a header without rows) raises :class:`InputError` when the
    stream ends.
    """

    path: str
    format: str
    encoding: str
    sha256: str
    size: int
    n_records: int = 0
    columns: dict = field(default_factory=dict)
    _legacy: Source | None = None
    _sep: str = "\n"
    _empty: bool = False
    _quoting: int = csv.QUOTE_MINIMAL
    _options: tuple = (None,)

    def batches(self, batch_size: int = 20_000):
        self.n_records = 0
        if self._legacy is not None:
            src = self._legacy
            if not src.records:
                yield [], list(src.problems)
            for i in range(0, len(src.records), batch_size):
                chunk = src.records[i:i + batch_size]
                self.n_records += len(chunk)
                yield chunk, (list(src.problems) if i == 0 else [])
            return
        gen = self._jsonl(batch_size) if self.format == "jsonl" else self._delimited(batch_size)
        for records, problems in gen:
            self.n_records += len(records)
            yield records, problems

    def _jsonl(self, batch_size: int):
        name, columns = self.path, self.columns
        checked = not columns
        seen: set = set()
        records: list[Record] = []
        problems: list[Problem] = []
        any_problem = any_record = False
        for lineno, line in enumerate(_split_stream(_text_chunks(Path(name), self.encoding), self._sep), start=1):
            if line.startswith("\ufeff"):
                line = line.lstrip("\ufeff")
            if not line.strip():
                continue
            obj = _parse_json_line(name, lineno, line)
            if isinstance(obj, Problem):
                problems.append(obj)
                any_problem = True
                continue
            if not checked:
                _check_mapping(name, list(obj), columns)
                checked = True
            data = _apply_mapping(obj, columns)
            seen.update(data)
            any_record = True
            records.append(Record(name, lineno, data))
            if len(records) >= batch_size:
                yield records, problems
                records, problems = [], []
        if records or problems:
            yield records, problems
        if any_record:
            err = _missing_fields_error(name, seen)
            if err is not None:
                raise err
        elif not any_problem:
            what = "0 bytes" if self._empty else "only blank lines"
            raise InputError(f"{name}: the file is empty ({what}, 0 articles); {EMPTY_HINT}")

    def _reader(self, f, quoting: int, strict: bool = False):
        reader = csv.reader(f, delimiter="\t" if self.format == "tsv" else ",", quoting=quoting, strict=strict)
        header = _check_header(self.path, next(reader), "\t" if self.format == "tsv" else ",", self.columns)
        return reader, header

    def _delimited(self, batch_size: int):
        name, columns = self.path, self.columns
        delimiter = "\t" if self.format == "tsv" else ","
        records: list[Record] = []
        problems: list[Problem] = []
        any_row = any_problem = False
        with _no_field_size_limit(), _open_text(Path(name), self.encoding) as f:
            reader, header = self._reader(f, self._quoting, strict=self._quoting != csv.QUOTE_NONE
                                          and self.format == "tsv")
            for item in _iter_rows(name, reader, delimiter, self._quoting, header):
                if item[0] == "problem":
                    problems.append(item[1])
                    any_problem = True
                    continue
                _, line, row = item
                any_row = True
                records.append(Record(name, line, _apply_mapping(
                    {h: (v if v != "" else None) for h, v in zip(header, row)}, columns)))
                if len(records) >= batch_size:
                    yield records, problems
                    records, problems = [], []
        if records or problems:
            yield records, problems
        if not any_row and not any_problem:
            raise InputError(f"{name}: the file has a header but no rows (0 articles); {EMPTY_HINT}")


def _open_text(path: Path, encoding: str):
    return io.TextIOWrapper(_open_data(path), encoding=encoding, errors="strict", newline="")


def _scan(path: Path, encoding: str | None) -> dict:
    """One streaming pass: the encoding (as :func:`decode` would choose it) and what the text holds.

    Raises :class:`_ScanFailed` when the data cannot be read or decoded that way (the whole-file
    reader then gives the same verdict, or error message, as before).
    """
    try:
        with _open_data(path) as f:
            head = b""
            while len(head) < 4096:
                block = f.read(CHUNK)
                if not block:
                    break
                head += block
            if encoding is not None:
                enc = canonical_encoding(encoding)
                if enc == "utf-8" and head.startswith(codecs.BOM_UTF8):
                    enc = "utf-8-sig"
            elif head.startswith(codecs.BOM_UTF8):
                enc = "utf-8-sig"
            elif head.startswith(codecs.BOM_UTF16_LE) or head.startswith(codecs.BOM_UTF16_BE):
                enc = "utf-16"
            else:
                enc = (_utf16_without_bom(head) if b"\x00" in head[:4096] else None) or "utf-8"
            dec = codecs.getincrementaldecoder(enc)(errors="strict")
            info = {"encoding": enc, "empty": not head, "no_text": True, "lf": False, "cr": False, "first": ""}
            block = head
            while True:
                text = dec.decode(block, final=not block)
                if text:
                    info["no_text"] = False
                    info["lf"] = info["lf"] or "\n" in text
                    info["cr"] = info["cr"] or "\r" in text
                    if not info["first"]:
                        info["first"] = text.lstrip(_BLANK)[:1]
                if not block:
                    break
                block = f.read(CHUNK)
    except (OSError, EOFError, UnicodeDecodeError, zlib_error) as e:
        raise _ScanFailed(str(e)) from None
    return info


try:
    from zlib import error as zlib_error
except ImportError:   # pragma: no cover
    zlib_error = OSError


def open_source(
    path: str | Path,
    format: str | None = None,
    encoding: str | None = None,
    columns: dict[str, str] | None = None,
    metadata: str | Path | None = None,
    *,
    scan: bool = True,
) -> StreamSource:
    """Open one source for streaming (see :class:`StreamSource`); the same checks as :func:`read_source`.

    Memory does not grow with the file for JSON Lines, CSV and TSV (``.gz`` included) in UTF-8,
    UTF-8 with BOM and UTF-16; a folder of ``.txt`` files, a Windows-1256 file, or a file that turns
    out to be damaged is read whole, as :func:`read_source` does (so its errors are the same).
    ``scan=False`` only hashes the file (enough to tell whether it is already imported); call
    :meth:`StreamSource.prepare` before streaming it.
    """
    path = Path(path)
    columns = dict(columns or {})
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    fmt = format or detect_format(path)
    if fmt not in FORMATS:
        raise InputError(f"{path}: unknown format '{fmt}' (choose one of {', '.join(FORMATS)})")
    if fmt == "txt" or path.is_dir():
        src = read_source(path, format=fmt, encoding=encoding, columns=columns, metadata=metadata)
        return StreamSource(src.path, src.format, src.encoding, src.sha256, src.size, columns=columns, _legacy=src)
    digest, size = _file_sha256(path)
    out = StreamSource(str(path), fmt, "", digest, size, columns=columns)
    out._options = (encoding,)
    if scan:
        prepare_source(out)
    return out


def prepare_source(src: StreamSource) -> StreamSource:
    """Scan a source opened with ``scan=False``: its encoding and whole-file problems."""
    if src._legacy is not None or src.encoding:
        return src
    path = Path(src.path)
    (encoding,) = getattr(src, "_options", (None,))
    try:
        info = _scan(path, encoding)
    except _ScanFailed:
        info = None
    if info is None or (src.format == "jsonl" and info["first"] == "["):
        legacy = read_source(path, format=src.format, encoding=encoding, columns=src.columns)
        src._legacy, src.encoding = legacy, legacy.encoding
        return src
    src.encoding = info["encoding"]
    src._empty = info["empty"]
    src._sep = "\n" if info["lf"] or not info["cr"] else "\r"
    if src.format != "jsonl":
        if not info["first"]:
            what = "0 bytes" if info["no_text"] else "only blank lines"
            raise InputError(f"{path}: the file is empty ({what}, 0 articles); {EMPTY_HINT}")
        src._quoting = csv.QUOTE_NONE if src.format == "tsv" else csv.QUOTE_MINIMAL
        with _no_field_size_limit(), _open_text(path, src.encoding) as f:
            try:
                reader, header = src._reader(f, src._quoting)
            except StopIteration:
                raise InputError(f"{path}: the file is empty (0 articles, not even a header line); "
                                 f"{EMPTY_HINT}") from None
            except csv.Error as e:
                raise InputError(f"{path}:1: cannot parse the header line: {e}") from None
            if src.format == "tsv":
                bad = any(item[0] == "problem" for item in _iter_rows(src.path, reader, "\t", csv.QUOTE_NONE, header))
        if src.format == "tsv" and bad:   # written with CSV-style quoting (pandas, Python's csv module)?
            with _no_field_size_limit(), _open_text(path, src.encoding) as f:
                reader, header = src._reader(f, csv.QUOTE_MINIMAL, strict=True)
                if not any(item[0] == "problem"
                           for item in _iter_rows(src.path, reader, "\t", csv.QUOTE_MINIMAL, header)):
                    src._quoting = csv.QUOTE_MINIMAL
    return src
