"""The Gaussian preset's quality bar: every seed matches the data's mean and covariance."""

import pytest

import kgan
from kgan.data import gaussian_points
from kgan.evaluate import point_moments
from kgan.metrics import moment_errors


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_gaussian_preset_matches_the_data(seed, tmp_path):
    gan = kgan.fit(dataset="gaussian", run_dir=str(tmp_path), seed=seed, verbose=False)
    errors = point_moments(gan, gaussian_points(), seed)
    assert errors["mean_error"] <= 0.10, errors
    assert errors["cov_error"] <= 0.10, errors


def test_moment_errors_closed_form():
    real = [[0.0, 0.0], [2.0, 0.0], [0.0, 2.0], [2.0, 2.0]]
    fake = [[1.0, 1.0], [3.0, 1.0], [1.0, 3.0], [3.0, 3.0]]
    errors = moment_errors(real, fake)
    assert errors["mean_error"] == pytest.approx(2**0.5)
    assert errors["cov_error"] == pytest.approx(0.0, abs=1e-12)
    scaled = moment_errors(real, [[2 * x, 2 * y] for x, y in real])
    assert scaled["cov_error"] == pytest.approx(3.0)  # 4x the covariance: error 3x its norm
