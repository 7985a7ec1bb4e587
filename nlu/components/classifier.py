"""Intents by softmax regression, with an out-of-scope threshold chosen on held-back data.

Features are each featurizer's sentence features: sparse count vectors, each scaled to unit
length (so a long message does not outweigh a short one), beside the dense sentence embedding.
The model is multinomial logistic regression fitted with L-BFGS, like scikit-learn's, but the
dense block stays a dense matrix (scikit-learn's ``LogisticRegression`` takes one sparse matrix,
so 512 dense columns cost as much as half a million sparse ones): about ten times faster.

Out of scope. A message whose best intent is less likely than ``threshold`` is out of scope:
the component ranks the ``out_of_scope`` intent first. Neither the threshold nor the
regularisation is set by hand. In training, ``validation_fraction`` of each intent's examples
is held back and a model is fitted on the rest, once for each ``C`` the config lists; the one
most accurate on the held-back examples is kept, and the threshold is the highest one that
costs at most ``max_in_scope_loss`` of its in-scope accuracy there. Then the model is fitted
again on everything, starting from that fit's weights. The choices and the validation figures
are kept with the model (``metadata.json``) and logged.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import (
    FEATURE_TYPE_SENTENCE,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.optimize import minimize

logger = logging.getLogger(__name__)

WEIGHTS_FILE = "weights.npz"
METADATA_FILE = "metadata.json"
THRESHOLDS = np.round(np.arange(0.0, 0.95, 0.01), 2)


@dataclass
class Calibration:
    """How the out-of-scope threshold was chosen, on the held-back examples."""

    threshold: float
    c: float  # the regularisation chosen (the best held-back accuracy among the config's)
    validation_examples: int
    in_scope_accuracy: float  # with no threshold
    in_scope_accuracy_at_threshold: float
    out_of_scope_examples: int
    out_of_scope_recall: float | None  # of the out-of-scope class, at the threshold


@dataclass
class Layout:
    """Where each featurizer's sentence features go in the model's input."""

    origins: list[str]
    sizes: list[int]
    sparse: list[bool]


def _origin(features: Any) -> str:
    origin = features.origin  # a featurizer's alias, several (combined), or none
    if origin is None:
        return "sparse" if features.is_sparse() else "dense"
    return origin if isinstance(origin, str) else "+".join(origin)


def sentence_features(message: Message) -> dict[str, Any]:
    """The message's text sentence features, by the featurizer that made them."""
    return {_origin(f): f for f in message.features
            if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE}


def _unit_rows(matrix: scipy.sparse.csr_matrix) -> scipy.sparse.csr_matrix:
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return scipy.sparse.diags(1.0 / norms).dot(matrix).tocsr()


def inputs(messages: list[Message], layout: Layout
           ) -> tuple[scipy.sparse.csr_matrix, np.ndarray]:
    """The sparse block (each featurizer's counts at unit length) and the dense block."""
    sparse_blocks, dense_blocks = [], []
    by_message = [sentence_features(m) for m in messages]
    for origin, size, is_sparse in zip(layout.origins, layout.sizes, layout.sparse, strict=True):
        if is_sparse:
            rows = [f[origin].features.tocsr() if origin in f
                    else scipy.sparse.csr_matrix((1, size), dtype=np.float32) for f in by_message]
            block = scipy.sparse.vstack(rows, format="csr").astype(np.float32)
            sparse_blocks.append(_unit_rows(block))
        else:
            dense_blocks.append(np.vstack([
                np.asarray(f[origin].features, dtype=np.float32).reshape(1, -1) if origin in f
                else np.zeros((1, size), np.float32) for f in by_message]))
    count = len(messages)
    sparse = (scipy.sparse.hstack(sparse_blocks, format="csr").astype(np.float32)
              if sparse_blocks else scipy.sparse.csr_matrix((count, 0), dtype=np.float32))
    dense = np.hstack(dense_blocks) if dense_blocks else np.zeros((count, 0), np.float32)
    return sparse, dense


@dataclass
class Row:
    """One message's input, as ``inputs`` would make it, without building SciPy matrices.

    ``columns`` and ``values`` are the nonzeros of its sparse row in the order ``inputs``'
    CSR row stores them (so a product adds them up in the same order, to the same bits).
    """

    columns: np.ndarray
    values: np.ndarray
    dense: np.ndarray  # (1, dense columns)


def _canonical_row(features: Any, size: int) -> tuple[np.ndarray, np.ndarray] | None:
    """A one-row COO matrix's columns and float32 values, if they are strictly ascending
    and nonzero (what the featurizers make); otherwise None, for ``inputs`` to handle."""
    if not scipy.sparse.isspmatrix_coo(features) or features.shape != (1, size):
        return None
    columns, values = features.col, features.data
    if values.dtype.kind not in "biuf":
        return None
    if len(columns) > 1 and not (columns[1:] > columns[:-1]).all():
        return None
    if np.count_nonzero(values) != len(values):
        return None
    return columns, values.astype(np.float32)  # what ``astype`` does to the stacked block


def _unit_row(values: np.ndarray) -> np.ndarray:
    """``_unit_rows`` of one canonical row with these values: the same float32 operations.

    The squares are summed with ``np.add.reduceat`` as SciPy's row sum does (NumPy's
    pairwise summation, so a plain loop or ``sum`` could round differently), and each value
    is multiplied by the reciprocal of the norm, as the diagonal product does.
    """
    squares = values * values
    squares = squares[squares != 0]  # the sparse product drops the zeros it makes
    norms = np.sqrt(np.add.reduceat(squares, np.zeros(1, np.intp))) if len(squares) else (
        np.zeros(1, np.float32))
    norms[norms == 0] = 1.0
    return values * (1.0 / norms)


def input_row(message: Message, layout: Layout) -> Row | None:
    """``inputs([message], layout)`` as a ``Row``, or None when the features are not the
    canonical one-row matrices the fast path is exact for (then use ``inputs``).

    SciPy builds and checks a dozen small matrices for one message in ``inputs``, several
    milliseconds of the parse; this does the same arithmetic on the few nonzeros. The
    diagonal product in ``_unit_rows`` (SciPy's ``csr_matmat``) stores a row's nonzeros in
    reverse order, so each block's come reversed, the blocks in layout order.
    """
    features = sentence_features(message)
    columns, values, dense_blocks = [], [], []
    offset = 0
    for origin, size, is_sparse in zip(layout.origins, layout.sizes, layout.sparse, strict=True):
        feature = features.get(origin)
        if not is_sparse:
            if feature is None:
                dense_blocks.append(np.zeros((1, size), np.float32))
                continue
            block = feature.features
            if not isinstance(block, np.ndarray) or block.size != size:
                return None
            dense_blocks.append(np.asarray(block, dtype=np.float32).reshape(1, -1))
            continue
        if feature is not None:
            row = _canonical_row(feature.features, size)
            if row is None:
                return None
            unit = _unit_row(row[1])
            kept = unit != 0  # as the diagonal product drops zeros (an underflow)
            columns.append(row[0][kept][::-1] + offset)
            values.append(unit[kept][::-1])
        offset += size
    dense = np.hstack(dense_blocks) if dense_blocks else np.zeros((1, 0), np.float32)
    return Row(np.concatenate(columns) if columns else np.zeros(0, np.intp),
               np.concatenate(values) if values else np.zeros(0, np.float32), dense)


def _softmax(scores: np.ndarray) -> np.ndarray:
    """Each row's scores as probabilities, in place."""
    scores -= scores.max(axis=1, keepdims=True)
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=1, keepdims=True)
    return scores


def _blas_pools() -> list[Any]:
    """threadpoolctl's controllers of the loaded BLAS libraries (none without it)."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - installed with the sentence encoder
        return []
    return list(ThreadpoolController().select(user_api="blas").lib_controllers)


def _partition(columns: int, threads: int) -> list[tuple[int, int]]:
    """OpenBLAS's split of a matrix-vector product's outputs among ``threads`` threads
    (``gemv_thread.c``: each takes the ceiling of an even share, at least 4)."""
    bounds: list[tuple[int, int]] = []
    start = 0
    while start < columns:
        share = -(-(columns - start) // max(1, threads - len(bounds)))
        width = min(max(share, 4), columns - start)
        bounds.append((start, start + width))
        start += width
    return bounds


class DenseRowProduct:
    """``row @ weights`` for one (1, n) row, to the same bits, on the calling thread.

    NumPy sends a row times the (512 x intents) weights to OpenBLAS's matrix-vector
    product, which is just big enough to be shared among OpenBLAS's threads; after it the
    idle threads spin on the other core until they time out, longer than a whole parse:
    about half the Rasa server's CPU per message (the sentence encoder limits BLAS to one
    thread while it encodes; this product ran outside that limit). Each thread computes
    a slice of the outputs, so the product of each slice of the weights' columns, small
    enough for OpenBLAS to keep on one thread, gives the same numbers. The slices are
    OpenBLAS's own split, and are used only when ``calibrated`` found that they reproduce
    the full product exactly on probe rows, and while BLAS keeps the thread counts they
    were found with; otherwise the full product is used.
    """

    def __init__(self, weights: np.ndarray, bounds: list[tuple[int, int]] | None = None,
                 pools: list[Any] | None = None, threads: tuple[int, ...] = ()) -> None:
        """The product with these weights, sliced at ``bounds`` while ``threads`` hold."""
        self.weights = weights
        # Views, not copies: the same memory and strides as the threads' slices.
        self.slices = [weights[:, a:b] for a, b in bounds] if bounds else []
        self._pools = pools or []
        self._threads = threads

    @classmethod
    def calibrated(cls, weights: np.ndarray, probes: int = 32) -> DenseRowProduct:
        """The product, sliced if a split of OpenBLAS's reproduces it in this process."""
        try:
            pools = _blas_pools()
            threads = tuple(pool.get_num_threads() for pool in pools)
            if weights.ndim != 2 or weights.shape[0] == 0 or max(threads, default=1) <= 1:
                return cls(weights)
            rng = np.random.default_rng(0)
            rows = rng.normal(size=(probes, 1, weights.shape[0])).astype(np.float32)
            rows /= np.linalg.norm(rows, axis=2, keepdims=True)  # like sentence embeddings
            expected = [row @ weights for row in rows]
            for count in range(2, min(max(threads), weights.shape[1]) + 1):
                bounds = _partition(weights.shape[1], count)
                product = cls(weights, bounds, pools, threads)
                if len(bounds) > 1 and all(
                        np.array_equal(product(row).view(np.uint32), want.view(np.uint32))
                        for row, want in zip(rows, expected, strict=True)):
                    return product
        except Exception:  # a faster product is optional; the full one is always exact
            logger.debug("No sliced dense product; using the full one.", exc_info=True)
        return cls(weights)

    def __call__(self, row: np.ndarray) -> np.ndarray:
        """``row @ weights``."""
        if self.slices and tuple(p.get_num_threads() for p in self._pools) == self._threads:
            return np.concatenate([row @ part for part in self.slices], axis=1)
        return row @ self.weights


class SoftmaxRegression:
    """Multinomial logistic regression on a sparse and a dense block, L2-regularised."""

    def __init__(self, sparse_weights: np.ndarray, dense_weights: np.ndarray,
                 bias: np.ndarray) -> None:
        """A model from its weights."""
        self.sparse_weights = sparse_weights
        self.dense_weights = dense_weights
        self.bias = bias
        # One message's dense product (``row_probabilities``); see ``for_parsing``.
        self.dense_row: DenseRowProduct | None = None

    def for_parsing(self) -> SoftmaxRegression:
        """The model, ready to score one message at a time (once, when it is loaded)."""
        self.dense_row = DenseRowProduct.calibrated(self.dense_weights)
        return self

    def probabilities(self, sparse: scipy.sparse.csr_matrix, dense: np.ndarray) -> np.ndarray:
        """Each row's probability of each class."""
        scores = sparse @ self.sparse_weights + dense @ self.dense_weights + self.bias
        return _softmax(scores)

    def row_probabilities(self, row: Row) -> np.ndarray:
        """``probabilities`` of one message's ``Row``, (1, classes), to the same bits.

        SciPy's sparse-times-dense product adds ``value * weights[column]`` into a zero row,
        nonzero by nonzero in storage order; a reduction down the first axis of the gathered
        products does exactly that, without the sparse matrix.
        """
        weighted = self.sparse_weights[row.columns] * row.values[:, None]
        sparse = np.add.reduce(weighted, axis=0, initial=0.0).reshape(1, -1)
        dense = (self.dense_row(row.dense) if self.dense_row is not None
                 else row.dense @ self.dense_weights)
        scores = sparse + dense + self.bias
        return _softmax(scores)

    @classmethod
    def fit(cls, sparse: scipy.sparse.csr_matrix, dense: np.ndarray, labels: np.ndarray,
            classes: int, c: float, max_iter: int, start: SoftmaxRegression | None = None
            ) -> SoftmaxRegression:
        """Minimise the mean cross-entropy plus ``|W|² / (2 c n)`` (scikit-learn's ``C``)."""
        n, ds, dd = len(labels), sparse.shape[1], dense.shape[1]
        onehot = np.zeros((n, classes), np.float32)
        onehot[np.arange(n), labels] = 1.0
        penalty = 1.0 / (c * n)
        sparse_t = sparse.T.tocsr()

        def unpack(theta: np.ndarray) -> SoftmaxRegression:
            theta = theta.astype(np.float32)
            return cls(theta[:ds * classes].reshape(ds, classes),
                       theta[ds * classes:(ds + dd) * classes].reshape(dd, classes),
                       theta[(ds + dd) * classes:])

        def loss_and_gradient(theta: np.ndarray) -> tuple[float, np.ndarray]:
            model = unpack(theta)
            p = model.probabilities(sparse, dense)
            loss = (-np.log(p[np.arange(n), labels] + 1e-12).mean()
                    + 0.5 * penalty * (float((model.sparse_weights ** 2).sum())
                                       + float((model.dense_weights ** 2).sum())))
            error = (p - onehot) / n
            gradient = np.concatenate([
                (sparse_t @ error + penalty * model.sparse_weights).ravel(),
                (dense.T @ error + penalty * model.dense_weights).ravel(),
                error.sum(axis=0)])
            return float(loss), gradient.astype(np.float64)

        theta0 = (np.zeros((ds + dd + 1) * classes) if start is None else np.concatenate(
            [start.sparse_weights.ravel(), start.dense_weights.ravel(), start.bias]
        ).astype(np.float64))
        result = minimize(loss_and_gradient, theta0, jac=True, method="L-BFGS-B",
                          options={"maxiter": max_iter})
        logger.debug("softmax regression: %d iterations, %s", result.nit, result.message)
        return unpack(result.x)


def held_back(labels: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """A mask of about ``fraction`` of each class's examples (none of a class with < 5)."""
    rng = np.random.default_rng(seed)
    mask = np.zeros(len(labels), bool)
    for label in np.unique(labels):
        where = np.flatnonzero(labels == label)
        if len(where) >= 5:
            take = max(1, int(round(len(where) * fraction)))
            mask[rng.choice(where, size=take, replace=False)] = True
    return mask


def choose_threshold(probabilities: np.ndarray, labels: np.ndarray, oos: int | None,
                     max_loss: float) -> Calibration:
    """The highest threshold that costs at most ``max_loss`` of in-scope accuracy.

    Under the threshold a message counts as out of scope, so an in-scope message under it is
    a miss. ``oos`` is the out-of-scope class's index (its examples are never in-scope).
    """
    top, best = probabilities.max(axis=1), probabilities.argmax(axis=1)
    in_scope = labels != oos if oos is not None else np.ones(len(labels), bool)
    correct = (best == labels) & in_scope

    def accuracy(threshold: float) -> float:
        return float((correct & (top >= threshold)).sum() / max(1, in_scope.sum()))

    base = accuracy(0.0)
    chosen = max(float(t) for t in THRESHOLDS if accuracy(float(t)) >= base - max_loss)
    out = ~in_scope
    recall = (float(((top < chosen) | (best == oos))[out].mean()) if out.any() else None)
    return Calibration(chosen, 0.0, len(labels), round(base, 4), round(accuracy(chosen), 4),
                       int(out.sum()), None if recall is None else round(recall, 4))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class CalibratedIntentClassifier(GraphComponent, IntentClassifier):
    """Intents from sentence features, and out of scope under a threshold chosen in training."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """The component's default config."""
        return {"C": 10.0, "max_iter": 300, "validation_fraction": 0.2,
                "max_in_scope_loss": 0.005, "out_of_scope_intent": "out_of_scope",
                "random_state": 42, "ranking_length": 10}

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 model: SoftmaxRegression | None = None, classes: list[str] | None = None,
                 layout: Layout | None = None, calibration: Calibration | None = None) -> None:
        """A classifier, trained or not."""
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.model = model
        self.classes = classes or []
        self.layout = layout
        self.calibration = calibration

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> CalibratedIntentClassifier:
        """Creates a new untrained component."""
        return cls(config, model_storage, resource)

    @staticmethod
    def _layout(examples: list[Message]) -> Layout:
        seen: dict[str, tuple[int, bool]] = {}
        for message in examples:
            for origin, features in sentence_features(message).items():
                seen.setdefault(origin, (features.features.shape[-1], features.is_sparse()))
        origins = sorted(seen)
        return Layout(origins, [seen[o][0] for o in origins], [seen[o][1] for o in origins])

    def train(self, training_data: TrainingData) -> Resource:
        """Fit on the held-in examples, choose the threshold on the held-back ones, refit."""
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        if not examples:
            logger.debug("No intent examples: %s is not trained.", type(self).__name__)
            return self._resource
        started = time.perf_counter()
        self.classes = sorted({e.get(INTENT) for e in examples})
        index = {name: i for i, name in enumerate(self.classes)}
        labels = np.array([index[e.get(INTENT)] for e in examples])
        self.layout = self._layout(examples)
        sparse, dense = inputs(examples, self.layout)
        config = self._config
        choices = config["C"] if isinstance(config["C"], list) else [config["C"]]
        fit_args = {"classes": len(self.classes), "max_iter": int(config["max_iter"])}
        oos = index.get(config["out_of_scope_intent"])
        back = held_back(labels, float(config["validation_fraction"]),
                         int(config["random_state"]))
        start, c = None, float(choices[0])
        if back.any():
            fits = []
            for choice in map(float, choices):
                model = SoftmaxRegression.fit(sparse[~back], dense[~back], labels[~back],
                                              c=choice, **fit_args)
                probabilities = model.probabilities(sparse[back], dense[back])
                accuracy = float((probabilities.argmax(axis=1) == labels[back]).mean())
                fits.append((accuracy, -choice, model, probabilities))
            _, negative_c, start, probabilities = max(fits, key=lambda f: (f[0], f[1]))
            c = -negative_c
            self.calibration = replace(
                choose_threshold(probabilities, labels[back], oos,
                                 float(config["max_in_scope_loss"])), c=c)
        else:
            self.calibration = Calibration(0.0, c, 0, 1.0, 1.0, 0, None)
        self.model = SoftmaxRegression.fit(sparse, dense, labels, c=c, start=start, **fit_args)
        logger.info("Intent classifier: %d examples, %d intents, out-of-scope threshold %.2f "
                    "(validation: %s), %.1f s", len(examples), len(self.classes),
                    self.calibration.threshold, asdict(self.calibration),
                    time.perf_counter() - started)
        self.persist()
        return self._resource

    def persist(self) -> None:
        """Write the weights and what they mean."""
        assert self.model is not None and self.layout is not None
        with self._model_storage.write_to(self._resource) as directory:
            np.savez(directory / WEIGHTS_FILE, sparse=self.model.sparse_weights,
                     dense=self.model.dense_weights, bias=self.model.bias)
            (directory / METADATA_FILE).write_text(json.dumps({
                "classes": self.classes, "layout": asdict(self.layout),
                "calibration": asdict(self.calibration) if self.calibration else None,
            }), encoding="utf-8")

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> CalibratedIntentClassifier:
        """Load the persisted weights; an untrained component if there are none."""
        try:
            with model_storage.read_from(resource) as directory:
                meta = json.loads((directory / METADATA_FILE).read_text(encoding="utf-8"))
                with np.load(directory / WEIGHTS_FILE, allow_pickle=False) as weights:
                    model = SoftmaxRegression(weights["sparse"], weights["dense"],
                                              weights["bias"]).for_parsing()
        except (ValueError, FileNotFoundError):
            logger.debug("No trained intent classifier in %s.", resource.name)
            return cls(config, model_storage, resource)
        calibration = Calibration(**meta["calibration"]) if meta["calibration"] else None
        return cls(config, model_storage, resource, model, meta["classes"],
                   Layout(**meta["layout"]), calibration)

    def _probabilities(self, messages: list[Message]) -> np.ndarray:
        """Each message's probability of each class; a parse (one message) skips SciPy."""
        assert self.model is not None and self.layout is not None
        if len(messages) == 1:
            row = input_row(messages[0], self.layout)
            if row is not None:
                return self.model.row_probabilities(row)
        return self.model.probabilities(*inputs(messages, self.layout))

    def process(self, messages: list[Message]) -> list[Message]:
        """Set each message's intent and ranking; out of scope under the threshold."""
        if self.model is None or self.layout is None or not messages:
            return messages
        probabilities = self._probabilities(messages)
        oos = self._config["out_of_scope_intent"]
        threshold = self.calibration.threshold if self.calibration else 0.0
        length = int(self._config["ranking_length"]) or len(self.classes)
        for message, row in zip(messages, probabilities, strict=True):
            order = np.argsort(-row)
            ranking = [{INTENT_NAME_KEY: self.classes[i], PREDICTED_CONFIDENCE_KEY: float(row[i])}
                       for i in order]
            if row[order[0]] < threshold and oos in self.classes:
                # Unlike any intent: out of scope, as sure as the best intent is unlikely.
                ranking = [{INTENT_NAME_KEY: oos,
                            PREDICTED_CONFIDENCE_KEY: 1.0 - float(row[order[0]])},
                           *(r for r in ranking if r[INTENT_NAME_KEY] != oos)]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking[:length], add_to_output=True)
        return messages
