"""Arabic text pipeline: settings, normalisation, tokenisation and the on-disk token cache.

Built on camel-tools. :func:`tokenise` is a fast path that returns token-for-token the same output
as :func:`reference_tokenise`, the plain camel-tools chain (see :mod:`workbench.text.tokenise`).

    from workbench.text import TextSettings
    from workbench.text.tokenise import tokenise
    tokenise("قصفت قوات النظام أطراف البلدة، وفق ناشطين محليين", TextSettings())

The functions ``tokenise`` and ``normalise`` are deliberately not re-exported here: they share their
names with the submodules ``workbench.text.tokenise`` / ``workbench.text.normalise``, and re-exporting
them would shadow the modules (``import workbench.text.tokenise as m`` would give the function).
"""

from .cache import TokenCache, fingerprint_texts, iter_tokens, read_cache_metadata
from .normalise import reference_normalise
from .settings import PIPELINE_VERSION, SettingsError, TextSettings, load_word_list
from .tokenise import (
    build_vocabulary,
    iter_tokenise,
    reference_tokenise,
    split_clitics,
    tokenise_many,
    write_vocabulary,
)

__all__ = [
    "PIPELINE_VERSION",
    "SettingsError",
    "TextSettings",
    "TokenCache",
    "build_vocabulary",
    "fingerprint_texts",
    "iter_tokenise",
    "iter_tokens",
    "load_word_list",
    "read_cache_metadata",
    "reference_normalise",
    "reference_tokenise",
    "split_clitics",
    "tokenise_many",
    "write_vocabulary",
]
