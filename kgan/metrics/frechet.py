"""Fréchet Inception Distance (Heusel et al. 2017) and Kernel Inception Distance (Binkowski et
al. 2018) between two sets of feature vectors."""

import numpy as np


def _sqrt_psd(matrix):
    """The symmetric square root of a symmetric positive semi-definite matrix."""
    values, vectors = np.linalg.eigh(matrix)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def frechet_distance(real, fake):
    """`||mu_r - mu_f||^2 + Tr(S_r + S_f - 2 (S_r S_f)^(1/2))` of Gaussians fitted to features.

    `Tr((S_r S_f)^(1/2))` is computed as `Tr((A S_f A)^(1/2))` with `A = S_r^(1/2)`: the two
    products have the same eigenvalues, and the second is symmetric, so a symmetric eigensolver
    gives it without the complex round-off of a general matrix square root.

    Args:
        real: `[n, d]` features of real samples.
        fake: `[m, d]` features of generated samples.

    Returns:
        The distance (0 for identical sets, up to float error).
    """
    real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    mean_gap = real.mean(axis=0) - fake.mean(axis=0)
    cov_real, cov_fake = np.cov(real, rowvar=False), np.cov(fake, rowvar=False)
    root = _sqrt_psd(cov_real)
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(root @ cov_fake @ root), 0, None)).sum()
    return float(mean_gap @ mean_gap + np.trace(cov_real) + np.trace(cov_fake) - 2 * cross)


def kernel_distance(real, fake, subsets=100, subset_size=1000, seed=0):
    """The unbiased squared MMD with the cubic polynomial kernel `(x.y / d + 1)^3`, averaged
    over random subsets, as Binkowski et al. define KID.

    Args:
        real: `[n, d]` features of real samples.
        fake: `[m, d]` features of generated samples.
        subsets: how many subset pairs to average.
        subset_size: samples per subset (capped by the smaller set).
        seed: seeds the subset draws.

    Returns:
        `(mean, std)` over the subsets; the mean's expectation is 0 for one distribution.
    """
    real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    size = min(subset_size, len(real), len(fake))
    dim = real.shape[1]
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(subsets):
        x = real[rng.choice(len(real), size, replace=False)]
        y = fake[rng.choice(len(fake), size, replace=False)]
        k_xx, k_yy, k_xy = ((a @ b.T / dim + 1) ** 3 for a, b in ((x, x), (y, y), (x, y)))
        # Unbiased: the diagonals (a sample against itself) are left out of the within-set terms.
        within = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (size * (size - 1))
        values.append(within - 2 * k_xy.mean())
    return float(np.mean(values)), float(np.std(values))
