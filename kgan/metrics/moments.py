"""First and second moments of 2D (or any vector) samples against the data's."""

import numpy as np


def moment_errors(real, fake):
    """Compares the mean and covariance of generated vectors with the real data's.

    Args:
        real: `[n, dim]` real samples.
        fake: `[m, dim]` generated samples.

    Returns:
        A dict with both means and covariances (as lists), `mean_error` (the Euclidean norm of
        the mean difference) and `cov_error` (`||cov_fake - cov_real||_F / ||cov_real||_F`).
    """
    real = np.asarray(real, np.float64).reshape(len(real), -1)
    fake = np.asarray(fake, np.float64).reshape(len(fake), -1)
    real_mean, fake_mean = real.mean(axis=0), fake.mean(axis=0)
    real_cov, fake_cov = np.cov(real, rowvar=False), np.cov(fake, rowvar=False)
    return {
        "real_mean": real_mean.tolist(),
        "fake_mean": fake_mean.tolist(),
        "real_cov": real_cov.tolist(),
        "fake_cov": fake_cov.tolist(),
        "mean_error": float(np.linalg.norm(fake_mean - real_mean)),
        "cov_error": float(np.linalg.norm(fake_cov - real_cov) / np.linalg.norm(real_cov)),
    }
