import math

import numpy as np
import pytest

from kgan import losses
from kgan.errors import KganError

REAL = np.array([[2.0], [-1.0]], np.float32)
FAKE = np.array([[0.5], [-3.0]], np.float32)


def sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


def test_minimax_discriminator_loss_is_averaged_binary_cross_entropy():
    real_term = -(math.log(sigmoid(2.0)) + math.log(sigmoid(-1.0))) / 2
    fake_term = -(math.log(1 - sigmoid(0.5)) + math.log(1 - sigmoid(-3.0))) / 2
    expected = (real_term + fake_term) / 2
    assert float(losses.minimax_discriminator_loss(REAL, FAKE)) == pytest.approx(expected, rel=1e-6)


def test_nonsaturating_generator_loss_is_minus_log_d():
    expected = -(math.log(sigmoid(0.5)) + math.log(sigmoid(-3.0))) / 2
    assert float(losses.nonsaturating_generator_loss(FAKE)) == pytest.approx(expected, rel=1e-6)


def test_minimax_generator_loss_is_log_one_minus_d():
    expected = (math.log(1 - sigmoid(0.5)) + math.log(1 - sigmoid(-3.0))) / 2
    assert float(losses.minimax_generator_loss(FAKE)) == pytest.approx(expected, rel=1e-6)


def test_losses_are_finite_for_extreme_logits():
    extreme = np.array([[100.0], [-100.0]], np.float32)
    assert float(losses.minimax_discriminator_loss(extreme, extreme)) == pytest.approx(50.0, rel=1e-5)
    assert float(losses.nonsaturating_generator_loss(extreme)) == pytest.approx(50.0, rel=1e-5)
    assert float(losses.minimax_generator_loss(extreme)) == pytest.approx(-50.0, rel=1e-5)


def test_losses_return_float32_for_bfloat16_logits():
    import keras

    logits = keras.ops.cast(FAKE, "bfloat16")
    assert keras.backend.standardize_dtype(losses.nonsaturating_generator_loss(logits).dtype) == "float32"


def test_registry_names_and_unknown_name():
    assert losses.get("nonsaturating") == (
        losses.nonsaturating_generator_loss,
        losses.minimax_discriminator_loss,
    )
    assert losses.get("minimax")[0] is losses.minimax_generator_loss
    with pytest.raises(KganError, match="unknown loss 'wgan'"):
        losses.get("wgan")


def test_wasserstein_hinge_and_least_squares_losses():
    real_mean, fake_mean = (2.0 - 1.0) / 2, (0.5 - 3.0) / 2
    assert float(losses.wasserstein_discriminator_loss(REAL, FAKE)) == pytest.approx(fake_mean - real_mean)
    assert float(losses.wasserstein_generator_loss(FAKE)) == pytest.approx(-fake_mean)
    # hinge: relu(1 - [2, -1]) = [0, 2]; relu(1 + [0.5, -3]) = [1.5, 0]
    assert float(losses.hinge_discriminator_loss(REAL, FAKE)) == pytest.approx(1.0 + 0.75)
    assert losses.get("hinge")[0] is losses.wasserstein_generator_loss
    # least squares: ((2-1)^2 + (-1-1)^2)/2 = 2.5; (0.25 + 9)/2 = 4.625
    assert float(losses.lsgan_discriminator_loss(REAL, FAKE)) == pytest.approx((2.5 + 4.625) / 2)
    # ((0.5-1)^2 + (-3-1)^2)/2 / 2
    assert float(losses.lsgan_generator_loss(FAKE)) == pytest.approx((0.25 + 16.0) / 4)
