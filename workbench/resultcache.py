"""Results of an analysis kept on disk between runs, as plain arrays: a warm report re-run on an
unchanged store reads story labels, reuse pairs and attribution counts instead of computing them.

An entry is one ``.npz`` file (numpy arrays and a JSON string of metadata), written atomically and
read with ``allow_pickle=False``: data, never code. Its key (:func:`analysis_key`) is a digest of
everything the result depends on: the store's content fingerprint, the selected documents' ids,
the text settings, the workbench's code (:func:`workbench.rendered.code_version`, so a changed
method computes afresh) and the function's own parameters. An entry that cannot be read, or that
does not hold what the caller expects, is a miss; one that cannot be written is skipped.
"""
from __future__ import annotations

import hashlib
import json
import os
import uuid
import zipfile
from pathlib import Path

import numpy as np

__all__ = ["analysis_key", "ArrayCache"]


def analysis_key(analysis, kind: str, **params) -> str:
    """A digest of ``kind``, ``params`` (plain JSON data) and what ``analysis`` selects and how."""
    from .rendered import code_version

    h = hashlib.sha256(f"workbench.{kind}.v1\n".encode())
    for part in (analysis.fingerprint, analysis.settings.fingerprint(), code_version(),
                 json.dumps(params, ensure_ascii=False, sort_keys=True, default=str)):
        h.update(str(part).encode("utf-8") + b"\x1e")
    h.update("\x1f".join(analysis.docs["id"].astype(str)).encode("utf-8"))
    return h.hexdigest()[:32]


class ArrayCache:
    """One cache entry, ``folder/<key>.npz`` (see the module docstring)."""

    def __init__(self, folder: str | os.PathLike, key: str):
        self.path = Path(folder) / f"{key}.npz"

    def read(self) -> tuple[dict[str, np.ndarray], dict] | None:
        """``(arrays, meta)``, or None when there is no readable entry."""
        try:
            with np.load(self.path, allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files if k != "__meta__"}
                meta = json.loads(str(z["__meta__"])) if "__meta__" in z.files else {}
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            return None
        return arrays, meta if isinstance(meta, dict) else {}

    def write(self, arrays: dict[str, np.ndarray], meta: dict | None = None) -> None:
        tmp = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex[:8]}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as f:
                np.savez(f, __meta__=np.array(json.dumps(meta or {}, ensure_ascii=False, default=str)),
                         **{k: np.asarray(v) for k, v in arrays.items()})
            os.replace(tmp, self.path)
        except OSError:
            tmp.unlink(missing_ok=True)
