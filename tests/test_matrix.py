"""Document-term matrix: counts, n-grams, trimming and grouping (quanteda dfm / dfm_trim / dfm_group)."""
import numpy as np
import pandas as pd
import pytest

from workbench.matrix import MatrixError, build_matrix, group, trim

DOCS = pd.DataFrame({"id": ["d1", "d2", "d3"], "camp": ["regime", "opposition", "regime"],
                     "outlet": ["a", "b", "c"]})
TOKENS = [["الجيش", "العربي", "السوري", "الجيش"], ["قوات", "النظام", "قصفت"], ["الجيش", "العربي"]]


def counts(dtm):
    return {(dtm.docs["id"][i], dtm.vocab[j]): int(v) for (i, j), v in dtm.X.todok().items()}


def test_counts_and_vocabulary_order_do_not_depend_on_batching():
    one = build_matrix([TOKENS], DOCS)
    three = build_matrix([[t] for t in TOKENS], DOCS)
    assert one.vocab.tolist() == three.vocab.tolist()
    assert (one.X != three.X).nnz == 0
    assert one.vocab[0] == "الجيش"  # most frequent first
    c = counts(one)
    assert c[("d1", "الجيش")] == 2 and c[("d3", "العربي")] == 1 and ("d2", "الجيش") not in c
    assert one.term_counts()["الجيش"] == 3 and one.doc_freq()["الجيش"] == 2
    assert one.doc_lengths().tolist() == [4, 3, 2]


def test_bigrams_and_both():
    bi = build_matrix([TOKENS], DOCS, ngrams=2)
    assert "الجيش العربي" in bi.vocab and "قوات النظام" in bi.vocab and "الجيش" not in bi.vocab
    assert bi.term_counts()["الجيش العربي"] == 2
    both = build_matrix([TOKENS], DOCS, ngrams=(1, 2))
    assert both.n_terms == build_matrix([TOKENS], DOCS).n_terms + bi.n_terms


def test_trim_by_count_and_document_frequency():
    dtm = build_matrix([TOKENS], DOCS)
    assert set(trim(dtm, min_count=2).vocab) == {"الجيش", "العربي"}
    assert set(trim(dtm, min_df=2).vocab) == {"الجيش", "العربي"}
    assert "الجيش" not in trim(dtm, max_df=0.5).vocab   # in 2 of 3 documents
    assert set(trim(dtm, max_df=1).vocab) == {"السوري", "قوات", "النظام", "قصفت"}
    with pytest.raises(MatrixError, match="min_df as a share of documents must be in"):
        trim(dtm, min_df=1.5)


def test_group_sums_documents():
    g = group(build_matrix([TOKENS], DOCS), "camp")
    assert g.docs["camp"].tolist() == ["opposition", "regime"]
    assert g.docs["n_docs"].tolist() == [1, 2]
    regime = dict(zip(g.vocab, g.X.toarray()[1]))
    assert regime["الجيش"] == 3 and regime["قوات"] == 0
    with pytest.raises(MatrixError, match="cannot group by 'month'"):
        group(g, "month")


def test_token_stream_must_match_metadata():
    with pytest.raises(MatrixError, match="2 documents but the metadata has 3"):
        build_matrix([TOKENS[:2]], DOCS)


def test_arrow_batches_count_like_python_lists():
    import pyarrow as pa

    arrow = build_matrix([pa.array(TOKENS[:2], pa.list_(pa.string())), pa.array(TOKENS[2:], pa.list_(pa.string()))], DOCS)
    plain = build_matrix([TOKENS], DOCS)
    assert arrow.vocab.tolist() == plain.vocab.tolist() and (arrow.X != plain.X).nnz == 0
    bi = build_matrix([pa.array(TOKENS, pa.list_(pa.string()))], DOCS, ngrams=(1, 2))
    assert (bi.X != build_matrix([TOKENS], DOCS, ngrams=(1, 2)).X).nnz == 0
