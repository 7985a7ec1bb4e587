"""The intent classifier's one-message path gives the batch path's numbers, to the bit."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import scipy.sparse
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message

from nlu.components.classifier import (
    DenseRowProduct,
    Layout,
    SoftmaxRegression,
    _partition,
    input_row,
    inputs,
)

LAYOUT = Layout(["dense", "words", "chars", "names"], [16, 300, 500, 3],
                [False, True, True, True])


def _bits(array: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(array).view(np.uint32)


def _counts(rng: np.random.Generator, size: int, nonzero: int) -> scipy.sparse.coo_matrix:
    """A featurizer's one-row counts: sorted columns, integer counts (as Rasa's are)."""
    row = np.zeros((1, size), np.int64)
    row[0, rng.choice(size, nonzero, replace=False)] = rng.integers(1, 4, nonzero)
    return scipy.sparse.csr_matrix(row).tocoo()


def _message(rng: np.random.Generator, skip: tuple[str, ...] = ()) -> Message:
    message = Message({TEXT: "a message"})
    features: dict[str, Any] = {
        "words": _counts(rng, 300, int(rng.integers(1, 20))),
        "chars": _counts(rng, 500, int(rng.integers(1, 200))),
        "names": scipy.sparse.coo_matrix(
            (rng.random((1, 3)) < 0.3).astype(np.float32)),
        None: rng.normal(size=(1, 16)).astype(np.float32),  # the sentence encoder's
    }
    for origin, matrix in features.items():
        if origin not in skip:
            message.add_features(Features(matrix, FEATURE_TYPE_SENTENCE, TEXT, origin))
    return message


def _model(rng: np.random.Generator) -> SoftmaxRegression:
    return SoftmaxRegression(rng.normal(size=(803, 7)).astype(np.float32),
                             rng.normal(size=(16, 7)).astype(np.float32),
                             rng.normal(size=7).astype(np.float32))


@pytest.mark.parametrize("skip", [(), ("names",), ("words", "chars"), ("dense",)])
def test_one_message_gets_the_batch_paths_row_and_probabilities(skip: tuple[str, ...]
                                                                ) -> None:
    rng = np.random.default_rng(len(skip))
    model = _model(rng).for_parsing()
    for _ in range(50):
        message = _message(rng, tuple(None if s == "dense" else s for s in skip))
        sparse, dense = inputs([message], LAYOUT)
        row = input_row(message, LAYOUT)
        assert row is not None
        assert np.array_equal(row.columns, sparse.indices)  # the same storage order
        assert np.array_equal(_bits(row.values), _bits(sparse.data))
        assert np.array_equal(_bits(row.dense), _bits(dense))
        assert np.array_equal(_bits(model.row_probabilities(row)),
                              _bits(model.probabilities(sparse, dense)))


def test_rows_the_fast_path_is_not_exact_for_go_the_batch_way() -> None:
    message = Message({TEXT: "x"})
    unsorted = scipy.sparse.coo_matrix(([1, 2], ([0, 0], [5, 3])), shape=(1, 300))
    message.add_features(Features(unsorted, FEATURE_TYPE_SENTENCE, TEXT, "words"))
    assert input_row(message, LAYOUT) is None
    zeros = Message({TEXT: "x"})
    explicit = scipy.sparse.coo_matrix(([0, 2], ([0, 0], [3, 5])), shape=(1, 300))
    zeros.add_features(Features(explicit, FEATURE_TYPE_SENTENCE, TEXT, "words"))
    assert input_row(zeros, LAYOUT) is None


def test_the_split_is_openblas_s() -> None:
    assert _partition(19, 2) == [(0, 10), (10, 19)]
    assert _partition(19, 1) == [(0, 19)]
    assert _partition(6, 3) == [(0, 4), (4, 6)]  # at least four outputs a thread


def test_the_dense_product_is_the_full_products_bits() -> None:
    rng = np.random.default_rng(3)
    weights = rng.normal(size=(512, 19)).astype(np.float32)
    product = DenseRowProduct.calibrated(weights)
    for _ in range(200):
        row = rng.normal(size=(1, 512)).astype(np.float32)
        assert np.array_equal(_bits(product(row)), _bits(row @ weights))


class _Pool:
    def __init__(self, threads: int) -> None:
        self.threads = threads

    def get_num_threads(self) -> int:
        return self.threads


def test_the_slices_are_left_when_blas_threads_change() -> None:
    weights = np.arange(40, dtype=np.float32).reshape(4, 10)
    pool = _Pool(2)
    product = DenseRowProduct(weights, [(0, 5), (5, 10)], [pool], (2,))
    row = np.ones((1, 4), np.float32)
    calls = []
    product.slices = [_Recording(s, calls) for s in product.slices]
    assert np.array_equal(product(row), row @ weights)
    assert len(calls) == 2
    pool.threads = 1
    assert np.array_equal(product(row), row @ weights)
    assert len(calls) == 2  # the full product, as BLAS would now do it on one thread


class _Recording:
    __array_ufunc__ = None  # so that ``row @ recording`` calls ``__rmatmul__``

    def __init__(self, array: np.ndarray, calls: list[int]) -> None:
        self.array, self.calls = array, calls

    def __rmatmul__(self, row: np.ndarray) -> np.ndarray:
        self.calls.append(1)
        return row @ self.array
