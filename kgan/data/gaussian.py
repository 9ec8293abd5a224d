"""The embedded 2D Gaussian of d2l 17.1: `X @ A + b` with `X ~ N(0, I)`; no download."""

import numpy as np

A = np.array([[1.0, 2.0], [-0.1, 0.5]], np.float32)
B = np.array([1.0, 2.0], np.float32)
# The data set is fixed: runs with different training seeds fit the same 1,000 points.
DATA_SEED = 1000


def gaussian_points(n=1000, seed=DATA_SEED):
    """Returns `n` points `X @ A + b`, float32 `[n, 2]`; mean `b`, covariance `A^T A`."""
    x = np.random.default_rng(seed).standard_normal((n, 2)).astype(np.float32)
    return x @ A + B
