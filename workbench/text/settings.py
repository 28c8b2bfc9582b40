"""One settings object for the whole Arabic text pipeline.

:class:`TextSettings` holds every option of normalisation (:mod:`workbench.text.normalise`) and
tokenisation (:mod:`workbench.text.tokenise`). It is a frozen dataclass so it can key caches, it
round-trips through :meth:`TextSettings.to_dict` / :meth:`TextSettings.from_dict` (for report
manifests), and :meth:`TextSettings.fingerprint` gives a stable hash of the options, of the *content*
of the stopword list and clitic vocabulary in use, and of the pipeline version. Record the
fingerprint with every result: two results with the same fingerprint were tokenised identically.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import unicodedata
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..errors import SettingsError
from ..paths import PACKAGE_DATA

__all__ = ["PIPELINE_VERSION", "TextSettings", "SettingsError", "load_word_list"]

#: Bump whenever a change to normalise.py / tokenise.py can change any token for some input.
PIPELINE_VERSION = "1"

_CHOICES = {
    "digits": ("ascii", "keep"),
    "urls": ("drop", "keep"),
    "emails": ("drop", "keep"),
    "latin": ("keep", "drop"),
    "numbers": ("keep", "drop"),
    "clitics": ("off", "split", "strip"),
    "tokens": ("surface", "d3tok", "atbtok", "lemma"),
    "segment_clitics": ("drop", "keep"),
}


@dataclass(frozen=True)
class TextSettings:
    """Every option of the Arabic text pipeline (normalisation, tokenisation, filtering).

    Normalisation (always on: ``normalize_unicode`` (NFKC), camel-tools ``arclean``,
    ``dediac_ar``, tatweel removal; see :mod:`workbench.text.normalise` for the order):

    - ``alef``: fold alef variants أ إ آ ٱ to ا (``normalize_alef_ar``).
    - ``alef_maksura``: fold ى to ي (``normalize_alef_maksura_ar``). Egyptian print writes final ي
      as ى, so this is on by default (it also merges على/علي).
    - ``teh_marbuta``: fold ة to ه (``normalize_teh_marbuta_ar``). Off by default: edited news
      writes ة reliably and folded forms read badly in result tables; turn on for social media.
    - ``fold_persian``: map Persian/Urdu/Kurdish letter forms to Arabic ones *before* ``arclean``
      (ک→ك, ی/ې/ے→ي, ۀ/ہ/ۂ/ە/ھ→ه, ۃ→ة). Without it ``arclean`` still folds most of them, but maps
      ی to ى and deletes ە.
    - ``digits``: ``"ascii"`` maps Arabic-Indic (٠-٩) and Extended Arabic-Indic (۰-۹) digits to 0-9
      (what ``arclean`` does); ``"keep"`` leaves them as written.

    Tokenisation: camel-tools ``simple_word_tokenize`` on the normalised text; punctuation/symbol
    tokens are always removed.

    - ``urls`` / ``emails``: detected on the normalised text *before* tokenisation (which would cut
      them at every ``/ . : @``); ``"drop"`` removes them, ``"keep"`` keeps each as one token.
    - ``latin``: ``"drop"`` removes tokens containing a Latin letter and no Arabic letter.
    - ``numbers``: ``"drop"`` removes tokens made only of digits.
    - ``clitics``: light proclitic handling (off by default), see
      :func:`workbench.text.tokenise.split_clitics`; needs ``clitic_vocabulary_path``.
    - ``remove_stopwords`` / ``stopwords_path``: drop tokens in the stopword list (``None`` = the
      shipped ``workbench/data/stopwords_ar.txt``), matched after the same normalisation.
    - ``min_length``: drop tokens shorter than this many characters (after everything else).

    Morphology (:mod:`workbench.text.morphology`; needs camel-tools' morphology database):

    - ``tokens``: ``"surface"`` (the words as written, the default), ``"d3tok"`` or ``"atbtok"``
      (camel-tools' clitic segmentation schemes: «وبالنظام» → و+ ب+ ال+ نظام, or و+ ب+ النظام) or
      ``"lemma"`` (the lemma of the chosen analysis: «والعدالة» → عدالة).
    - ``segment_clitics``: the clitics split off by d3tok/atbtok are dropped (``"drop"``) or kept as
      tokens such as ``و+`` and ``ال+`` (``"keep"``).
    """

    alef: bool = True
    alef_maksura: bool = True
    teh_marbuta: bool = False
    fold_persian: bool = True
    digits: str = "ascii"
    urls: str = "drop"
    emails: str = "drop"
    latin: str = "keep"
    numbers: str = "keep"
    remove_stopwords: bool = True
    stopwords_path: str | None = None
    min_length: int = 2
    clitics: str = "off"
    clitic_vocabulary_path: str | None = None
    tokens: str = "surface"
    segment_clitics: str = "drop"

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.type == "bool" and not isinstance(value, bool):
                raise SettingsError(f"text setting {f.name!r} must be true or false, got {value!r}")
            if f.name in _CHOICES and value not in _CHOICES[f.name]:
                raise SettingsError(
                    f"text setting {f.name!r} must be one of {', '.join(_CHOICES[f.name])}; got {value!r}"
                )
        if isinstance(self.min_length, bool) or not isinstance(self.min_length, int) or self.min_length < 0:
            raise SettingsError(f"text setting 'min_length' must be an integer >= 0, got {self.min_length!r}")
        for name in ("stopwords_path", "clitic_vocabulary_path"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                object.__setattr__(self, name, str(value))  # accept pathlib.Path, store str
        if self.tokens != "surface":
            if self.clitics != "off":
                raise SettingsError(f"text setting 'clitics' must be off with tokens = {self.tokens} "
                                    "(camel-tools' morphology splits the clitics itself; see segment_clitics)")
            for name in ("urls", "emails"):
                if getattr(self, name) == "keep":
                    raise SettingsError(f"text setting {name!r} = keep is not available with tokens = "
                                        f"{self.tokens} (use tokens = surface to keep {name} as tokens)")
        if self.clitics != "off" and self.clitic_vocabulary_path is None:
            raise SettingsError(
                "text setting 'clitics' needs 'clitic_vocabulary_path' (a word list, e.g. the corpus "
                "vocabulary from workbench.text.tokenise.write_vocabulary)"
            )

    # ---------------------------------------------------------------- serialisation
    def to_dict(self) -> dict[str, Any]:
        """Return the settings as a plain JSON-able dict (every field, defaults included)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TextSettings":
        """Build settings from a dict such as :meth:`to_dict` wrote; missing keys take defaults.

        Raises :class:`SettingsError` naming the first unknown key.
        """
        known = {f.name for f in fields(cls)}
        for key in data:
            if key not in known:
                raise SettingsError(
                    f"unknown text setting {key!r} (known: {', '.join(sorted(known))})"
                )
        return cls(**data)

    @classmethod
    def coerce(cls, value: "TextSettings | dict | str | os.PathLike | None" = None,
               **changes: Any) -> "TextSettings":
        """Text settings from whatever a user gives: None (defaults), settings, a dict or a YAML file.

        The one parser of text settings (notebooks, CLI, report runner and topic models all call
        it). ``changes`` override single options (``--set teh_marbuta=true``). Errors are one-line
        :class:`SettingsError` naming the file or the setting.
        """
        if value is None:
            data: dict[str, Any] = {}
        elif isinstance(value, TextSettings):
            data = value.to_dict()
        elif isinstance(value, dict):
            data = dict(value)
        elif isinstance(value, (str, os.PathLike)):
            import yaml

            try:
                with open(value, encoding="utf-8") as f:
                    data = yaml.safe_load(f) or {}
            except OSError as e:
                raise SettingsError(f"{value}: cannot read text settings: {e.strerror}") from None
            except (yaml.YAMLError, UnicodeDecodeError) as e:
                raise SettingsError(f"{value}: not valid YAML text settings: {' '.join(str(e).split())}") from None
            if not isinstance(data, dict):
                raise SettingsError(f"{value}: expected a mapping of text settings, e.g. teh_marbuta: true")
        else:
            raise SettingsError(f"text settings must be a mapping or a YAML file, got {type(value).__name__}")
        return cls.from_dict({**data, **changes})

    def replace(self, **changes: Any) -> "TextSettings":
        """Return a copy with some options changed (unknown names raise :class:`SettingsError`)."""
        return TextSettings.from_dict({**self.to_dict(), **changes})

    # ---------------------------------------------------------------- word lists
    def stopword_lines(self) -> tuple[str, ...]:
        """Words of the stopword list in use (raw, before normalisation); empty if disabled."""
        if not self.remove_stopwords:
            return ()
        return load_word_list(self.stopwords_path)

    def clitic_vocabulary_lines(self) -> tuple[str, ...]:
        """Words of the clitic vocabulary in use (raw, before normalisation); empty if off."""
        if self.clitics == "off" or self.clitic_vocabulary_path is None:
            return ()
        return load_word_list(self.clitic_vocabulary_path)

    def word_list_state(self) -> tuple:
        """(path, mtime, size) of every word list in use; changes when a list file is edited.

        Compiled pipelines are cached per (settings, word_list_state()), so editing a stopword
        file takes effect on the next call without restarting Python.
        """
        state = ()
        if self.remove_stopwords:
            state = (_stat_state(self.stopwords_path or _shipped_stopwords_str()),)
        if self.clitics != "off" and self.clitic_vocabulary_path:
            state += (_stat_state(self.clitic_vocabulary_path),)
        return state

    def fingerprint(self) -> str:
        """Stable hex hash of the options, the word lists' content and the pipeline version.

        File *paths* are not hashed, the words they hold are: moving a stopword file does not
        change the fingerprint, editing it does. The camel-tools and Unicode database versions are
        included too, since the normalisation depends on them.
        """
        import camel_tools  # local: settings stay importable without the heavy modules

        payload = self.to_dict()
        payload.pop("stopwords_path")
        payload.pop("clitic_vocabulary_path")
        payload["stopwords"] = _hash_lines(self.stopword_lines())
        payload["clitic_vocabulary"] = (
            _hash_file(self.clitic_vocabulary_path) if self.clitics != "off" else _hash_lines(())
        )
        if self.tokens == "surface":  # fingerprints of surface settings are what they were before morphology
            payload.pop("tokens")
            payload.pop("segment_clitics")
        else:
            from .morphology import morphology_info  # raises a one-line error when the data is missing

            payload["morphology"] = morphology_info().version
        payload["pipeline_version"] = PIPELINE_VERSION
        payload["camel_tools"] = getattr(camel_tools, "__version__", "?")
        payload["unicode"] = unicodedata.unidata_version
        blob = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")
        return hashlib.sha256(blob).hexdigest()[:24]


def _hash_lines(lines: tuple[str, ...]) -> str:
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()[:24]


def _hash_file(path: str | None) -> str:
    """Hash a word-list file's bytes (the clitic vocabulary's counts matter, not only its words)."""
    if path is None or not Path(path).is_file():
        raise SettingsError(f"word list not found: {path}")
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:24]


def load_word_list(path: str | Path | None) -> tuple[str, ...]:
    """Read a word list: one word a line, ``#`` starts a comment, blank lines ignored.

    ``None`` reads the shipped Arabic stopword list. A line may hold ``word<TAB>count`` (the count
    is ignored here). Result is cached per (path, modification time, size).
    """
    p = _shipped_stopwords() if path is None else Path(path)
    if not p.is_file():
        raise SettingsError(f"word list not found: {p}")
    return _load_word_list_cached(str(p), *_stat_key(p))


@lru_cache(maxsize=1)
def _shipped_stopwords() -> Path:
    """Path of the shipped ``workbench/data/stopwords_ar.txt`` (the package is installed as files)."""
    return PACKAGE_DATA / "stopwords_ar.txt"


@lru_cache(maxsize=1)
def _shipped_stopwords_str() -> str:
    return str(_shipped_stopwords())


def _stat_state(path: str) -> tuple[str, int, int]:
    try:
        st = os.stat(path)
    except OSError as exc:
        raise SettingsError(f"word list not found: {path}") from exc
    return path, st.st_mtime_ns, st.st_size


def _stat_key(p: Path) -> tuple[int, int]:
    st = p.stat()
    return st.st_mtime_ns, st.st_size


@lru_cache(maxsize=32)
def _load_word_list_cached(path: str, _mtime: int, _size: int) -> tuple[str, ...]:
    words: list[str] = []
    with open(path, encoding="utf-8-sig") as fh:
        for line in fh:
            line = line.split("#", 1)[0].strip()
            if line:
                words.append(line.split("\t", 1)[0].strip())
    return tuple(words)
