import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import make_gaussian_gan

import kgan
from kgan.export import export_generator
from kgan.optimizers import ema_decay

DECAY, LR, STEPS = 0.9, 0.1, 5


def ema_gan():
    gan = make_gaussian_gan()
    gan.compile(keras.optimizers.Adam(1e-3),
                keras.optimizers.SGD(LR, use_ema=True, ema_momentum=DECAY))
    return gan


def fixed_updates(gan, gradient=1.0):
    weights = gan.generator.trainable_variables
    for _ in range(STEPS):
        gan.g_optimizer.apply_gradients([(tf.fill(w.shape, gradient), w) for w in weights])


def test_ema_weights_are_the_closed_form_average():
    gan = ema_gan()
    start = [w.numpy() for w in gan.generator.trainable_variables]
    fixed_updates(gan)
    # SGD with a constant gradient of 1: w_j = w_0 - j * lr. The first average is w_1, then
    # avg_j = d * avg_(j-1) + (1 - d) * w_j, so
    # avg_k = d^(k-1) w_1 + (1 - d) * sum_(j=2..k) d^(k-j) w_j.
    averaged = gan.sampling_generator().trainable_variables
    for w0, average in zip(start, averaged):
        iterate = [w0 - j * LR for j in range(STEPS + 1)]
        expected = DECAY ** (STEPS - 1) * iterate[1] + (1 - DECAY) * sum(
            DECAY ** (STEPS - j) * iterate[j] for j in range(2, STEPS + 1))
        np.testing.assert_allclose(average.numpy(), expected, rtol=1e-5, atol=1e-6)
        assert not np.allclose(average.numpy(), iterate[STEPS])  # not the raw weights


def test_samples_and_exports_use_the_average_unless_raw(tmp_path):
    gan = ema_gan()
    fixed_updates(gan)
    z = kgan.latent_batch(16, 2, seed=0)
    averaged = gan.sampling_generator()(z).numpy()
    np.testing.assert_allclose(gan.generate(16, seed=0), averaged, atol=1e-6)
    assert not np.allclose(averaged, gan.generator(z).numpy())
    np.testing.assert_allclose(gan.generate(16, seed=0, raw=True), gan.generator(z).numpy(),
                               atol=1e-6)
    for raw, expected in ((False, averaged), (True, gan.generator(z).numpy())):
        path = export_generator(gan, str(tmp_path / "export"), raw=raw)
        served = tf.saved_model.load(path).signatures["serving_default"](z=tf.constant(z))
        np.testing.assert_allclose(served["samples"].numpy(), expected, atol=1e-5)


def test_ema_survives_the_keras_round_trip(tmp_path):
    gan = ema_gan()
    fixed_updates(gan)
    gan.save(tmp_path / "gan.keras")
    loaded = keras.saving.load_model(tmp_path / "gan.keras")
    for a, b in zip(loaded.sampling_generator().get_weights(), gan.sampling_generator().get_weights()):
        np.testing.assert_array_equal(a, b)


def test_resume_keeps_the_average(tmp_path):
    # A constant rate: a cosine schedule would be sized for the first run's epochs.
    options = {"dataset": "gaussian", "batch_size": 100, "save_every": 1, "ema": 0.99,
               "lr_schedule": "constant",
               "verbose": False}
    straight = kgan.fit(run_dir=str(tmp_path / "a"), epochs=2, seed=1, **options)
    kgan.fit(run_dir=str(tmp_path / "b"), epochs=1, seed=1, **options)
    resumed = kgan.resume(str(tmp_path / "b"), epochs=2, verbose=False)
    assert resumed.g_optimizer.use_ema
    for a, b in zip(resumed.sampling_generator().get_weights(),
                    straight.sampling_generator().get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_preset_ema_option():
    gan = kgan.build_gan(kgan.get_preset("gaussian").with_overrides(ema=0.999), 0, steps_per_epoch=1)
    assert gan.g_optimizer.use_ema and gan.g_optimizer.ema_momentum == pytest.approx(0.999)
    assert not gan.d_optimizer.use_ema
    # Before the first step there is no average yet: samples come from the generator itself.
    assert gan.sampling_generator() is gan.generator


def test_the_preset_average_ramps_up_its_horizon():
    # kgan's optimizers: the average's half-life is 5% of the steps taken, capped by the decay.
    decay, rampup = 0.999, 0.05
    expected = [0.0] + [min(decay, 0.5 ** (1 / (rampup * t))) for t in range(1, 20001, 2500)]
    got = [float(ema_decay(t, decay, rampup)) for t in [0, *range(1, 20001, 2500)]]
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    assert got[-1] == pytest.approx(decay)  # the cap: half-life 693 steps, reached at ~13,900

    preset = kgan.get_preset("gaussian").with_overrides(ema=0.999, lr_schedule="constant")
    gan = kgan.build_gan(preset, 0, steps_per_epoch=1)
    weights = gan.generator.trainable_variables
    average = [w.numpy() for w in weights]
    for step in range(40):
        gan.g_optimizer.apply_gradients([(tf.fill(w.shape, 1.0), w) for w in weights])
        momentum = float(ema_decay(step, decay, rampup))
        average = [momentum * a + (1 - momentum) * w.numpy() for a, w in zip(average, weights)]
    for got, want in zip(gan.sampling_generator().trainable_variables, average):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)
    # After 40 steps a fixed decay of 0.999 would still hold 96% of the step-0 weights.
    start = kgan.build_gan(kgan.get_preset("gaussian"), 0, steps_per_epoch=1).generator.get_weights()
    for got, initial, now in zip(average, start, gan.generator.get_weights()):
        assert np.abs(got - now).max() < 0.5 * np.abs(initial - now).max()
    assert keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(gan.g_optimizer)).ema_rampup == rampup
