"""The embedded 2D data sets; no download.

- `gaussian`: d2l 17.1's `X @ A + b` with `X ~ N(0, I)`.
- `mixture`: a labelled mixture of Gaussians, one class per component, for conditional GANs.
"""

import numpy as np

A = np.array([[1.0, 2.0], [-0.1, 0.5]], np.float32)
B = np.array([1.0, 2.0], np.float32)
# The data sets are fixed: runs with different training seeds fit the same points.
DATA_SEED = 1000

# The mixture's component means, one per class, on a circle of radius 2; all share MIXTURE_STD.
MIXTURE_MEANS = np.array([[2.0, 0.0], [0.0, 2.0], [-2.0, 0.0], [0.0, -2.0]], np.float32)
MIXTURE_STD = 0.3
MIXTURE_CLASSES = ("east", "north", "west", "south")


def gaussian_points(n=1000, seed=DATA_SEED):
    """Returns `n` points `X @ A + b`, float32 `[n, 2]`; mean `b`, covariance `A^T A`."""
    x = np.random.default_rng(seed).standard_normal((n, 2)).astype(np.float32)
    return x @ A + B


def mixture_points(n=2000, seed=DATA_SEED):
    """Returns `(points, labels)`: `n` points, float32 `[n, 2]`, drawn in equal numbers from the
    components `N(MIXTURE_MEANS[k], MIXTURE_STD^2 I)`, and each point's component `k`, int32
    `[n]` (class names `MIXTURE_CLASSES`)."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n, dtype=np.int32) % len(MIXTURE_MEANS)
    noise = rng.standard_normal((n, 2)).astype(np.float32)
    return MIXTURE_MEANS[labels] + MIXTURE_STD * noise, labels
