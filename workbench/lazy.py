"""Package names imported on first use (PEP 562), so light submodules stay cheap to import.

``workbench.stats`` and ``workbench.corpus`` export functions from heavy submodules (pandas,
scipy); the command line imports only their light submodules (``stats.measures``,
``corpus.readers``) to build its options. :func:`lazy_exports` gives such a package the module
``__getattr__`` and ``__dir__`` that import a name's submodule when the name is first used.
"""
from __future__ import annotations

import importlib


def lazy_exports(package: str, where: dict[str, str], namespace: dict):
    """``(__getattr__, __dir__)`` for ``package``: name ``n`` comes from submodule ``where[n]``
    and is then kept in ``namespace`` (the package's globals), so it is imported once."""

    def __getattr__(name: str):
        if name in where:
            value = getattr(importlib.import_module(f"{package}.{where[name]}"), name)
            namespace[name] = value
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__():
        return sorted(set(namespace) | set(where))

    return __getattr__, __dir__
