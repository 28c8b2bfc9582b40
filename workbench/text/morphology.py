"""Arabic morphology with camel-tools: clitic segmentation (d3tok, atbtok) and lemmas, fast.

Arabic glues conjunctions, prepositions, the article and pronouns to words: «وبالنظام» is
و+ ب+ ال+ نظام. With ``TextSettings(tokens="d3tok" | "atbtok" | "lemma")`` every token of the
pipeline (:mod:`workbench.text.tokenise`) is replaced by its morphological tokens or its lemma,
taken from camel-tools (Obeid et al. 2020): its morphological analyser over the CALIMA-Star
database (``calima-msa-r13``, Taji et al. 2018) and its maximum-likelihood disambiguator
(``MLEDisambiguator``, Khalifa et al. 2016's approach as packaged in camel-tools).

Which analysis is chosen
    The trained MLE model (``MLEDisambiguator.pretrained()``) when it is installed; otherwise the
    analyses are ranked by the database's own probabilities (``MLEDisambiguator(analyzer,
    mle_path=None)``), with a one-time :class:`~workbench.errors.WorkbenchWarning`. The analyser's
    backoff is ``NOAN_PROP`` (what ``pretrained()`` uses: an unknown word gets a proper-noun
    analysis instead of none). :func:`morphology_info` says which is used; text settings
    fingerprints and manifests record it.

Tokens
    ``d3tok`` / ``atbtok``: camel-tools' ``MorphologicalTokenizer(disambiguator, scheme,
    split=True)`` (undiacritised); clitics are marked ``و+``, ``ال+``, ``+ه``. They are dropped
    unless ``segment_clitics="keep"`` (then they are tokens, exempt from the stopword and length
    filters like the clitic markers of ``clitics="split"``). ``lemma``: the ``lex`` of the chosen
    analysis, undiacritised; a word without an analysis is its own lemma. The results are then
    normalised with the same settings as every other token (alef folding turns «أخوان» and the
    alef wasla of «ٱدعاء» into bare alef), and filtered (stopwords, length) like surface tokens.

What camel-tools sees
    The tokens of the pipeline's normalisation *without* the orthographic folds (alef, alef
    maksura, teh marbuta): the analyser needs «الإخوان», not «الاخوان». So the reference chain is
    ``reference_tokenise(text, settings with folds off, no filters)`` → camel-tools'
    ``MorphologicalTokenizer.tokenize`` → per result token, the user's normalisation and filters
    (:func:`reference_morph_tokenise`, slow and obvious, the definition of the output).

Speed (the reason for this module)
    camel-tools' per-token path runs at about 1,600 tokens/s. Its disambiguator ignores context
    (each word is disambiguated alone), so the output of a word depends on the word only: each
    *distinct* word is analysed once, in parallel on all cores (:func:`analyse_words`), and the
    word → (d3tok, atbtok, lemma) table is kept on disk (:class:`WordTable`, in the per-user cache,
    keyed by the database, the model and the camel-tools version) and reused by every later corpus.
    :func:`prepare` analyses the words of a corpus that the table lacks. A test checks on 200,000
    real tokens that the result is identical to camel-tools' own per-token path;
    ``benchmarks/bench_morphology.py`` checks it on the whole Egyptian corpus and times both.

Data
    camel-tools finds its data through ``CAMELTOOLS_DATA`` or ``~/.camel_tools``. Without the
    morphology database, asking for morphology is a one-line
    :class:`~workbench.errors.MorphologyUnavailable` saying how to install it
    (``camel_data -i light``).

References
----------
* Obeid, O., Zalmout, N., Khalifa, S., Taji, D., Oudah, M., Alhafni, B., Inoue, G., Eryani, F.,
  Erdmann, A. & Habash, N. (2020). CAMeL Tools: An open source Python toolkit for Arabic natural
  language processing. *LREC 2020*, 7022-7032.
* Taji, D., Khalifa, S., Obeid, O., Eryani, F. & Habash, N. (2018). An Arabic morphological analyzer
  and generator with copious features. *SIGMORPHON 2018*, 140-150.
* Habash, N. (2010). *Introduction to Arabic Natural Language Processing*. Morgan & Claypool
  (the D3 and ATB tokenisation schemes).
"""
from __future__ import annotations

import hashlib
import json
import os
import threading
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from ..errors import MorphologyUnavailable, WorkbenchWarning

__all__ = ["SCHEMES", "MorphologyInfo", "morphology_info", "analyse_words", "WordTable", "word_table",
           "prepare", "reference_morph_tokenise", "camel_disambiguator", "CLITIC_EDGE"]

#: The ``tokens`` settings that need morphology (``"surface"`` does not).
SCHEMES = ("d3tok", "atbtok", "lemma")
#: A morphological token that starts or ends with this is a clitic (``و+``, ``ال+``, ``+ه``).
CLITIC_EDGE = "+"
DB_NAME = "calima-msa-r13"
BACKOFF = "NOAN_PROP"
INSTALL_HINT = ("install camel-tools' data with `camel_data -i light` (internet), or point "
                "CAMELTOOLS_DATA at a folder that holds data/morphology_db/calima-msa-r13/morphology.db")


# ----------------------------------------------------------------------------------- the data
@dataclass(frozen=True)
class MorphologyInfo:
    """Which camel-tools data morphology uses: the database, the MLE model (or None: database
    ranking), and ``version``, a short hash of both files and the camel-tools version."""
    data_dir: str
    db_path: str
    model_path: str | None
    version: str

    @property
    def ranking(self) -> str:
        """``"mle-model"`` (the trained model) or ``"database-probabilities"`` (no model installed)."""
        return "mle-model" if self.model_path else "database-probabilities"

    def to_dict(self) -> dict:
        return {"data_dir": self.data_dir, "database": DB_NAME, "db_path": self.db_path,
                "model_path": self.model_path, "ranking": self.ranking, "backoff": BACKOFF,
                "version": self.version}


def _data_dir() -> Path:
    env = os.environ.get("CAMELTOOLS_DATA")
    return Path(env).expanduser() if env else Path.home() / ".camel_tools"


def _sha(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@lru_cache(maxsize=8)
def _info(data_dir: str, db_stat: tuple, model_stat: tuple | None) -> MorphologyInfo:
    import camel_tools

    d = Path(data_dir)
    db = d / "data" / "morphology_db" / DB_NAME / "morphology.db"
    model = d / "data" / "disambig_mle" / DB_NAME / "model.json"
    parts = [_sha(db), _sha(model) if model_stat else "no-model", BACKOFF,
             getattr(camel_tools, "__version__", "?")]
    version = hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]
    return MorphologyInfo(str(d), str(db), str(model) if model_stat else None, version)


def morphology_info() -> MorphologyInfo:
    """The camel-tools data in use; :class:`~workbench.errors.MorphologyUnavailable` (one line,
    with how to install it) when there is none."""
    d = _data_dir()
    db = d / "data" / "morphology_db" / DB_NAME / "morphology.db"
    model = d / "data" / "disambig_mle" / DB_NAME / "model.json"
    if not db.is_file():
        where = "CAMELTOOLS_DATA=" + os.environ["CAMELTOOLS_DATA"] if os.environ.get("CAMELTOOLS_DATA") else str(d)
        raise MorphologyUnavailable(f"morphology (tokens = d3tok, atbtok or lemma) needs camel-tools' {DB_NAME} "
                                    f"database, which is not in {where}: {INSTALL_HINT}")
    st = db.stat()
    mst = model.stat() if model.is_file() else None
    return _info(str(d), (st.st_size, st.st_mtime_ns), (mst.st_size, mst.st_mtime_ns) if mst else None)


_WARNED: set[str] = set()
_LOCK = threading.Lock()


@lru_cache(maxsize=2)
def camel_disambiguator(info: MorphologyInfo):
    """camel-tools' MLE disambiguator over the database's analyser (backoff ``NOAN_PROP``); the
    trained model when present, else the database's probabilities (warned once)."""
    os.environ.setdefault("CAMELTOOLS_DATA", info.data_dir)  # camel-tools reads its catalogue from there
    from camel_tools.disambig.mle import MLEDisambiguator
    from camel_tools.morphology.analyzer import Analyzer
    from camel_tools.morphology.database import MorphologyDB

    analyzer = Analyzer(MorphologyDB(info.db_path, "a"), BACKOFF)
    if info.model_path is None:
        with _LOCK:
            if info.data_dir not in _WARNED:
                _WARNED.add(info.data_dir)
                warnings.warn(f"camel-tools' MLE disambiguation model is not installed in {info.data_dir}: "
                              "analyses are ranked by the morphology database's own probabilities "
                              "(less accurate; `camel_data -i light` installs the model)", WorkbenchWarning,
                              stacklevel=3)
    return MLEDisambiguator(analyzer, mle_path=info.model_path)


# ----------------------------------------------------------------------------------- analysis
class _Once:
    """A disambiguator that answers with one disambiguation computed before (so camel-tools'
    ``MorphologicalTokenizer`` turns it into tokens with its own code, without analysing again)."""

    def __init__(self, disambiguated):
        self._d = disambiguated

    def disambiguate(self, words):
        return self._d


def _analyse(dis, tokenizers, words: list[str]) -> list[tuple[str, str, str]]:
    """(d3tok, atbtok, lemma) of each word: tokens joined by single spaces, undiacritised."""
    from camel_tools.utils.dediac import dediac_ar

    out = []
    for w in words:
        d = dis.disambiguate([w])
        once = _Once(d)
        toks = []
        for scheme in ("d3tok", "atbtok"):
            t = tokenizers[scheme]
            t._disambiguator = once
            toks.append(" ".join(x for x in t.tokenize([w]) if x))
        analyses = d[0].analyses
        lex = analyses[0].analysis.get("lex") if analyses else None
        lemma = w if not lex or lex == "NOAN" else dediac_ar(lex)
        out.append((toks[0], toks[1], lemma or w))
    return out


_WORKER: dict = {}


def _worker_init(info: MorphologyInfo) -> None:
    import gc

    gc.freeze()
    warnings.simplefilter("ignore", WorkbenchWarning)  # the parent warned already
    _WORKER["dis"] = camel_disambiguator(info)
    _WORKER["tok"] = _tokenizers(_WORKER["dis"])


def _tokenizers(dis) -> dict:
    from camel_tools.tokenizers.morphological import MorphologicalTokenizer

    return {s: MorphologicalTokenizer(dis, s, split=True) for s in ("d3tok", "atbtok")}


def _worker_chunk(words: list[str]) -> list[tuple[str, str, str]]:
    return _analyse(_WORKER["dis"], _WORKER["tok"], words)


def analyse_words(words: Iterable[str], info: MorphologyInfo | None = None, *, workers: int | None = None,
                  chunk: int = 500, desc: str = "analysing words") -> dict[str, tuple[str, str, str]]:
    """Analyse each distinct word once: ``{word: (d3tok, atbtok, lemma)}``.

    In ``workers`` processes (default: the available CPUs; each loads the analyser, ~2 s and
    ~480 MB) for more than a few thousand words, else in this process.
    """
    from ..progress import progress_bar
    from .tokenise import _available_cpus

    info = info or morphology_info()
    todo = sorted(set(words))
    if not todo:
        return {}
    workers = workers or _available_cpus()
    dis = camel_disambiguator(info)  # warns here, once, if there is no model
    if workers <= 1 or len(todo) < 4 * chunk:
        return dict(zip(todo, _analyse(dis, _tokenizers(dis), todo)))
    import multiprocessing as mp

    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
    chunks = [todo[i:i + chunk] for i in range(0, len(todo), chunk)]
    out: dict[str, tuple[str, str, str]] = {}
    with progress_bar(total=len(todo), desc=desc, unit="words") as bar:
        with ctx.Pool(workers, initializer=_worker_init, initargs=(info,)) as pool:
            for part, res in zip(chunks, pool.imap(_worker_chunk, chunks)):
                out.update(zip(part, res))
                bar.update(len(part))
    return out


# ----------------------------------------------------------------------------------- the table
class WordTable:
    """The persistent word → (d3tok, atbtok, lemma) table of one :class:`MorphologyInfo`.

    Stored as JSON Lines parts under ``<user cache>/morphology/<version>/`` (``$XDG_CACHE_HOME``
    honoured; ``WORKBENCH_MORPHOLOGY_CACHE`` overrides the folder). New words are added as a new
    part written atomically, so concurrent writers never damage it; a damaged part is ignored
    (its words are analysed again)."""

    def __init__(self, info: MorphologyInfo, root: str | os.PathLike | None = None):
        from ..integrity import user_cache_dir

        self.info = info
        base = Path(root) if root else Path(os.environ.get("WORKBENCH_MORPHOLOGY_CACHE") or user_cache_dir() / "morphology")
        self.folder = base / info.version
        self.words: dict[str, tuple[str, str, str]] = {}
        self._seen: set[str] = set()
        self.load()

    def load(self) -> "WordTable":
        if not self.folder.is_dir():
            return self
        for part in sorted(self.folder.glob("words-*.jsonl")):
            if part.name in self._seen:
                continue
            try:
                rows = [json.loads(line) for line in part.read_text(encoding="utf-8").splitlines() if line]
                self.words.update((w, (a, b, c)) for w, a, b, c in rows)
            except (OSError, ValueError, TypeError):
                continue  # a damaged part: its words are analysed again
            self._seen.add(part.name)
        return self

    def add(self, analysed: dict[str, tuple[str, str, str]]) -> None:
        """Remember new words (in memory and in a new part on disk)."""
        new = {w: v for w, v in analysed.items() if w not in self.words}
        self.words.update(new)
        if not new:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            if not (self.folder / "info.json").exists():
                (self.folder / "info.json").write_text(json.dumps(self.info.to_dict(), indent=1), encoding="utf-8")
            data = "".join(json.dumps([w, *new[w]], ensure_ascii=False) + "\n" for w in sorted(new))
            name = f"words-{hashlib.sha256(data.encode()).hexdigest()[:16]}.jsonl"
            tmp = self.folder / f".{name}.{os.getpid()}.tmp"
            tmp.write_text(data, encoding="utf-8")
            tmp.replace(self.folder / name)
            self._seen.add(name)
        except OSError as e:
            warnings.warn(f"cannot save the morphology table in {self.folder} ({e.strerror}): words will be "
                          "analysed again next time", WorkbenchWarning, stacklevel=2)

    def lookup(self, word: str) -> tuple[str, str, str]:
        """The analysis of one word (analysed now, in this process, if the table lacks it)."""
        v = self.words.get(word)
        if v is None:
            v = self.words[word] = analyse_words([word], self.info, workers=1)[word]
        return v


_TABLES: dict[str, WordTable] = {}


def word_table(info: MorphologyInfo | None = None) -> WordTable:
    """The shared :class:`WordTable` of this process for ``info`` (default: the installed data)."""
    info = info or morphology_info()
    t = _TABLES.get(info.version)
    if t is None:
        t = _TABLES[info.version] = WordTable(info)
    return t


def _pre_settings(settings):
    """What camel-tools sees: the normalisation of ``settings`` without orthographic folds or
    filters (every token kept, surface form)."""
    return settings.replace(tokens="surface", alef=False, alef_maksura=False, teh_marbuta=False,
                            remove_stopwords=False, min_length=0, clitics="off", clitic_vocabulary_path=None,
                            segment_clitics="drop")


def needs_analysis(tok: str) -> bool:
    """Only tokens with an Arabic letter go to camel-tools; others stay as they are."""
    return any("\u0621" <= c <= "\u064a" or "\u0671" <= c <= "\u06d3" for c in tok)


def prepare(texts: Iterable[str], settings, *, workers: int | None = None) -> int:
    """Make sure the word table holds every word of ``texts`` that ``settings`` will look up;
    analyse the missing ones (in parallel) and save them. Returns how many were analysed."""
    from .tokenise import iter_tokenise

    if getattr(settings, "tokens", "surface") == "surface":
        return 0
    table = word_table()
    seen: set[str] = set()
    for toks in iter_tokenise(texts, _pre_settings(settings), workers=workers):
        seen.update(toks)
    missing = [w for w in seen if w not in table.words and needs_analysis(w)]
    if missing:
        table.add(analyse_words(missing, table.info, workers=workers))
    return len(missing)


def reference_morph_tokenise(text: str, settings) -> list[str]:
    """The definition of morphological tokens (slow, obvious): the pipeline's tokens without
    folds or filters, camel-tools' own ``MorphologicalTokenizer`` over all of them at once (or the
    chosen analysis' lemma), then the user's normalisation and filters on each result."""
    from camel_tools.tokenizers.morphological import MorphologicalTokenizer
    from camel_tools.utils.dediac import dediac_ar

    from .tokenise import _morph_filter_for, reference_tokenise

    tokens = reference_tokenise(text, _pre_settings(settings))
    words = [w for w in tokens if needs_analysis(w)]
    dis = camel_disambiguator(morphology_info())
    if settings.tokens == "lemma":
        per_word = []
        for dw in dis.disambiguate(words):
            lex = dw.analyses[0].analysis.get("lex") if dw.analyses else None
            per_word.append([dw.word if not lex or lex == "NOAN" else (dediac_ar(lex) or dw.word)])
    else:
        # camel-tools' own tokenizer over all the words at once, then cut back into words by
        # tokenizing each word's disambiguation alone (the output order is the words' order)
        flat = MorphologicalTokenizer(dis, settings.tokens, split=True).tokenize(words)
        per_word, at = [], 0
        for w in words:
            n = len(MorphologicalTokenizer(dis, settings.tokens, split=True).tokenize([w]))
            per_word.append(flat[at:at + n])
            at += n
        assert at == len(flat)
    keep = _morph_filter_for(settings)
    out, k = [], 0
    for w in tokens:
        if needs_analysis(w):
            out += [t for seg in per_word[k] if seg for t in keep.segment(seg)]
            k += 1
        else:
            out += keep.base(keep.fold(w))
    return out
