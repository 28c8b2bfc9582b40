"""Topic models: LDA with gensim (:mod:`.lda`), choosing K (:mod:`.selection`), and comparing
groups of documents by their topics (:mod:`.prevalence`); figures in :mod:`workbench.plots.topics`.

    from workbench.analysis import corpus_matrix
    from workbench.topics import fit_topics, topic_terms, topic_prevalence

    dtm = corpus_matrix("build/demo-store", min_df=2, max_df=0.5)
    tm = fit_topics(dtm, 20, seed=1, cache_dir="build/topic-models")
    topic_terms(tm, n=10, lam=0.6)
    topic_prevalence(tm, by="camp")

Methods: Blei, Ng & Jordan 2003 (LDA); Hoffman, Blei & Bach 2010 (online LDA, as in gensim);
Röder, Both & Hinneburg 2015 (coherence c_v); Bouma 2009 (NPMI); Sievert & Shirley 2014
(relevance, intertopic distance map); Roberts et al. 2014 (stm, which covariate-dependent
prevalence is compared with); Efron & Tibshirani 1993 (bootstrap intervals).
"""
from .lda import (
    BowCorpus,
    TopicError,
    TopicModel,
    document_texts,
    dtm_fingerprint,
    fit_topics,
    infer_theta,
    load_topic_names,
    load_topics,
    phrase_matrix,
    relevance,
    save_topic_names,
    topic_distances,
    topic_labels,
    topic_map,
    topic_table,
    topic_terms,
    typical_documents,
    write_topic_names_template,
)
from .prevalence import (
    bootstrap_means,
    dominant_topic,
    prevalence_difference,
    prevalence_over_time,
    topic_keyness,
    topic_prevalence,
)
from .selection import coherence, heldout_perplexity, heldout_split, select_k

__all__ = [
    "BowCorpus", "TopicError", "TopicModel", "bootstrap_means", "coherence", "document_texts",
    "dominant_topic", "dtm_fingerprint", "fit_topics", "heldout_perplexity", "heldout_split",
    "infer_theta", "load_topic_names", "load_topics", "phrase_matrix", "prevalence_difference",
    "prevalence_over_time", "relevance", "save_topic_names", "select_k", "topic_distances",
    "topic_keyness", "topic_labels", "topic_map", "topic_prevalence", "topic_table", "topic_terms",
    "typical_documents", "write_topic_names_template",
]
