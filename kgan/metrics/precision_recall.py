"""Improved precision and recall (Kynkaanniemi et al. 2019) in a feature space."""

import numpy as np


def _pairwise_distances(a, b, block=1024):
    """Euclidean distances `[len(a), len(b)]`, computed in row blocks to bound memory."""
    b_norms = (b * b).sum(axis=1)
    rows = []
    for start in range(0, len(a), block):
        part = a[start : start + block]
        squared = (part * part).sum(axis=1)[:, None] - 2 * part @ b.T + b_norms[None, :]
        rows.append(np.sqrt(np.clip(squared, 0, None)))
    return np.concatenate(rows)


def _coverage(manifold, queries, k):
    """The fraction of `queries` inside the union of balls around `manifold` points whose radii
    are each point's distance to its k-th nearest neighbour in `manifold`."""
    k = min(k, len(manifold) - 1)  # tiny sets: the farthest other point
    radii = np.sort(_pairwise_distances(manifold, manifold), axis=1)[:, k]  # column 0 is itself
    inside = _pairwise_distances(queries, manifold) <= radii[None, :]
    return float(inside.any(axis=1).mean())


def precision_recall(real, fake, k=3):
    """Precision (how much of the fake set lies on the real manifold) and recall (how much of
    the real set lies on the fake manifold), with k-nearest-neighbour manifolds.

    Args:
        real: `[n, d]` features of real samples.
        fake: `[m, d]` features of generated samples.
        k: the neighbourhood size (3 in the paper).

    Returns:
        `(precision, recall)`, each in [0, 1].
    """
    real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    return _coverage(real, fake, k), _coverage(fake, real, k)
