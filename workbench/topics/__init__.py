"""Topic models: LDA with gensim or tomotopy, choosing K, and comparing groups of documents by their topics.

One module a job, in the order of the analysis:

* :mod:`.bow` -- the bag-of-words stream over the rows of a document-term matrix (:class:`BowCorpus`);
* :mod:`.fit` -- fitting LDA (:func:`fit_topics`, cached; ``backend="gensim"`` or ``"tomotopy"``),
  θ of documents (:func:`infer_theta`);
* :mod:`.gibbs` -- the tomotopy backend: collapsed Gibbs sampling on several threads, seeded;
* :mod:`.model` -- the fitted :class:`TopicModel`, saved and loaded as a signed folder (:func:`load_topics`);
* :mod:`.labels` -- relevance-ranked terms, typical documents, topic tables, topic names and flags
  (near-empty and numeral topics, kept in tables and left out of figures);
* :mod:`.distances` -- distances between topics and the intertopic distance map;
* :mod:`.selection` -- choosing K by coherence and held-out perplexity, the default Ks for a corpus'
  size, and whether a selection is large enough for topics at all;
* :mod:`.prevalence` -- topic prevalence by group and over time, with bootstrap intervals.

Two-word phrases (:func:`phrase_matrix`) and the documents' ordered token lists
(:func:`document_texts`) live in :mod:`workbench.stats.phrases`; figures in :mod:`workbench.plots.topics`.

    from workbench.analysis import corpus_matrix
    from workbench.topics import fit_topics, topic_terms, topic_prevalence

    dtm = corpus_matrix("build/demo-store", min_df=2, max_df=0.5)
    tm = fit_topics(dtm, 20, seed=1, cache_dir="build/topic-models")
    topic_terms(tm, n=10, lam=0.6)
    topic_prevalence(tm, by="camp")

Methods: Blei, Ng & Jordan 2003 (LDA); Hoffman, Blei & Bach 2010 (online LDA, as in gensim);
Griffiths & Steyvers 2004 (collapsed Gibbs sampling, as in tomotopy);
Röder, Both & Hinneburg 2015 (coherence c_v); Bouma 2009 (NPMI); Sievert & Shirley 2014
(relevance, intertopic distance map); Roberts et al. 2014 (stm, which covariate-dependent
prevalence is compared with); Efron & Tibshirani 1993 (bootstrap intervals).
"""
from ..errors import TopicError
from ..stats.phrases import document_texts, phrase_matrix
from .bow import BowCorpus
from .distances import topic_distances, topic_map
from .fit import BACKENDS, BackendError, dtm_fingerprint, fit_topics, infer_theta
from .labels import (
    default_topic_name,
    load_topic_names,
    relevance,
    save_topic_names,
    topic_flags,
    topic_labels,
    topic_table,
    topic_terms,
    typical_documents,
    write_topic_names_template,
)
from .model import TopicModel, load_topics
from .prevalence import (
    bootstrap_means,
    dominant_topic,
    prevalence_difference,
    prevalence_over_time,
    topic_keyness,
    topic_prevalence,
)
from .selection import check_topic_data, coherence, default_k_range, heldout_perplexity, heldout_split, select_k

__all__ = [
    "BACKENDS", "BackendError", "BowCorpus", "TopicError", "TopicModel", "bootstrap_means", "check_topic_data", "coherence",
    "default_k_range", "default_topic_name", "document_texts",
    "dominant_topic", "dtm_fingerprint", "fit_topics", "heldout_perplexity", "heldout_split",
    "infer_theta", "load_topic_names", "load_topics", "phrase_matrix", "prevalence_difference",
    "prevalence_over_time", "relevance", "save_topic_names", "select_k", "topic_distances",
    "topic_flags", "topic_keyness", "topic_labels", "topic_map", "topic_prevalence", "topic_table", "topic_terms",
    "typical_documents", "write_topic_names_template",
]
