"""The intent classifier's parts: the fit, the held-back split and the out-of-scope threshold."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse

from nlu.components.classifier import SoftmaxRegression, choose_threshold, held_back


def _blobs(seed: int = 0, per_class: int = 40) -> tuple[scipy.sparse.csr_matrix, np.ndarray,
                                                        np.ndarray]:
    """Three classes: two told apart by a sparse column, the third by the dense block."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(3), per_class)
    sparse = np.zeros((len(labels), 3), np.float32)
    sparse[labels == 0, 0] = 1.0
    sparse[labels == 1, 1] = 1.0
    sparse[:, 2] = rng.random(len(labels))  # noise
    dense = rng.normal(0.0, 0.3, (len(labels), 4)).astype(np.float32)
    dense[labels == 2, 0] += 2.0
    return scipy.sparse.csr_matrix(sparse), dense, labels


def test_the_fit_learns_from_both_blocks() -> None:
    sparse, dense, labels = _blobs()
    model = SoftmaxRegression.fit(sparse, dense, labels, classes=3, c=10.0, max_iter=200)
    probabilities = model.probabilities(sparse, dense)
    assert (probabilities.argmax(axis=1) == labels).mean() == 1.0
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    # Without the dense block the third class is a guess between it and nothing.
    blind = model.probabilities(sparse, np.zeros_like(dense))
    assert (blind.argmax(axis=1)[labels == 2] == 2).mean() < 1.0


def test_a_warm_start_ends_where_a_cold_one_does() -> None:
    sparse, dense, labels = _blobs(1)
    cold = SoftmaxRegression.fit(sparse, dense, labels, classes=3, c=1.0, max_iter=500)
    warm = SoftmaxRegression.fit(sparse, dense, labels, classes=3, c=1.0, max_iter=500,
                                 start=cold)
    assert np.allclose(cold.probabilities(sparse, dense), warm.probabilities(sparse, dense),
                       atol=1e-3)


def test_more_regularisation_means_less_sure() -> None:
    sparse, dense, labels = _blobs(2)
    loose = SoftmaxRegression.fit(sparse, dense, labels, classes=3, c=100.0, max_iter=300)
    tight = SoftmaxRegression.fit(sparse, dense, labels, classes=3, c=0.01, max_iter=300)
    assert (tight.probabilities(sparse, dense).max(axis=1).mean()
            < loose.probabilities(sparse, dense).max(axis=1).mean())


def test_held_back_takes_a_share_of_each_class_and_skips_tiny_ones() -> None:
    labels = np.array([0] * 50 + [1] * 10 + [2] * 3)
    mask = held_back(labels, 0.2, seed=7)
    assert mask[labels == 0].sum() == 10
    assert mask[labels == 1].sum() == 2
    assert mask[labels == 2].sum() == 0
    assert (held_back(labels, 0.2, seed=7) == mask).all()  # the same seed, the same split


def test_the_threshold_costs_at_most_the_allowed_in_scope_accuracy() -> None:
    # Ten in-scope examples of class 0, all right, with top probabilities 0.10 .. 0.95 (the
    # rest spread over eleven classes); two out-of-scope examples (class 11), also ranked 0.
    tops = [0.10, 0.30, 0.50, 0.60, 0.70, 0.75, 0.80, 0.85, 0.90, 0.95, 0.2, 0.25]
    labels = np.array([0] * 10 + [11] * 2)
    probabilities = np.array([[t] + [(1 - t) / 11] * 11 for t in tops])
    strict = choose_threshold(probabilities, labels, oos=11, max_loss=0.0)
    assert strict.threshold == pytest.approx(0.10)  # any higher loses the 0.10 example
    assert strict.in_scope_accuracy == strict.in_scope_accuracy_at_threshold == 1.0
    assert strict.out_of_scope_recall == 0.0
    loose = choose_threshold(probabilities, labels, oos=11, max_loss=0.1)  # one example of ten
    assert loose.threshold == pytest.approx(0.30)  # gives up the 0.10 example, not the 0.30
    assert loose.in_scope_accuracy_at_threshold == pytest.approx(0.9)
    assert loose.out_of_scope_recall == 1.0  # both under 0.30
    assert (loose.validation_examples, loose.out_of_scope_examples) == (12, 2)


def test_the_out_of_scope_class_counts_as_caught_when_it_wins() -> None:
    probabilities = np.array([[0.9, 0.1], [0.1, 0.9]])
    calibration = choose_threshold(probabilities, np.array([0, 1]), oos=1, max_loss=0.0)
    assert calibration.out_of_scope_recall == 1.0
