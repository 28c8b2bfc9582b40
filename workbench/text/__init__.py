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

from ..lazy import lazy_exports

# imported on first use: the settings are cheap, the tokeniser imports camel-tools (~0.6 s)
_WHERE = {
    "TokenCache": "cache", "fingerprint_texts": "cache", "iter_tokens": "cache", "read_cache_metadata": "cache",
    "reference_normalise": "normalise",
    "PIPELINE_VERSION": "settings", "SettingsError": "settings", "TextSettings": "settings",
    "load_word_list": "settings",
    "build_vocabulary": "tokenise", "iter_tokenise": "tokenise", "reference_tokenise": "tokenise",
    "split_clitics": "tokenise", "tokenise_many": "tokenise", "write_vocabulary": "tokenise",
}
__getattr__, __dir__ = lazy_exports(__name__, _WHERE, globals())

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
