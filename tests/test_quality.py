"""The Gaussian preset's quality bar: it matches the data's mean and covariance with every loss.

`scripts/gaussian_quality.py` measures five seeds per loss (scripts/RESULTS.md's table); these
tests run one seed each, so that no loss regresses unnoticed.
"""

import pytest

import kgan
from kgan.data import gaussian_points
from kgan.evaluate import point_moments
from kgan.metrics import moment_errors


@pytest.mark.slow
@pytest.mark.parametrize("loss, bound", [("nonsaturating", 0.1), ("minimax", 0.3),
                                         ("wasserstein", 0.3), ("hinge", 0.3), ("lsgan", 0.3)])
def test_gaussian_preset_matches_the_data_with_every_loss(loss, bound, tmp_path):
    # save_every: pictures and checkpoints only at the end (they do not change the training).
    gan = kgan.fit(dataset="gaussian", run_dir=str(tmp_path), seed=0, loss=loss, save_every=200,
                   verbose=False)
    errors = point_moments(gan, gaussian_points(), seed=0)
    assert errors["mean_error"] <= bound, errors
    assert errors["cov_error"] <= bound, errors


def test_moment_errors_closed_form():
    real = [[0.0, 0.0], [2.0, 0.0], [0.0, 2.0], [2.0, 2.0]]
    fake = [[1.0, 1.0], [3.0, 1.0], [1.0, 3.0], [3.0, 3.0]]
    errors = moment_errors(real, fake)
    assert errors["mean_error"] == pytest.approx(2**0.5)
    assert errors["cov_error"] == pytest.approx(0.0, abs=1e-12)
    scaled = moment_errors(real, [[2 * x, 2 * y] for x, y in real])
    assert scaled["cov_error"] == pytest.approx(3.0)  # 4x the covariance: error 3x its norm
