import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import assert_weights_equal, make_gaussian_gan, network_weights, values

import kgan
from kgan import inference
from kgan.errors import KganError


def test_discriminator_step_changes_only_discriminator(gaussian_gan, points):
    g_before = network_weights(gaussian_gan.generator)
    d_before = network_weights(gaussian_gan.discriminator)
    gaussian_gan.discriminator_step(tf.constant(points[:32]))
    assert_weights_equal(network_weights(gaussian_gan.generator), g_before)
    changed = [not np.allclose(a, b) for a, b in zip(network_weights(gaussian_gan.discriminator), d_before)]
    assert all(changed)
    assert int(gaussian_gan.d_optimizer.iterations) == 1
    assert int(gaussian_gan.g_optimizer.iterations) == 0


def test_adversarial_step_trains_the_generator_on_the_fakes_the_discriminator_saw(points):
    # SGD: the update is the gradient itself, so the two paths can be compared exactly.
    def sgd_gan():
        gan = make_gaussian_gan()
        gan.compile(d_optimizer=keras.optimizers.SGD(0.1), g_optimizer=keras.optimizers.SGD(0.1))
        return gan

    shared, reference = sgd_gan(), sgd_gan()
    real, z = tf.constant(points[:32]), tf.random.stateless_normal((32, 2), (1, 2))
    d_loss, _, _, g_loss = shared.adversarial_step(real, z)

    # The definition, spelled out: the discriminator learns to reject G(z), then the generator
    # descends the updated discriminator's loss on G(z).
    reference_d_loss = reference.discriminator_step(real, reference.generator(z, training=True))[0]
    with tf.GradientTape() as tape:
        reference_g_loss = reference.generator_loss(
            reference.discriminator(reference.generator(z, training=True), training=True))
    weights = reference.generator.trainable_weights
    reference.g_optimizer.apply_gradients(zip(tape.gradient(reference_g_loss, weights), weights))

    assert float(d_loss) == pytest.approx(float(reference_d_loss), rel=1e-6)
    assert float(g_loss) == pytest.approx(float(reference_g_loss), rel=1e-6)
    assert_weights_equal(network_weights(shared.discriminator),
                         network_weights(reference.discriminator), atol=1e-6)
    assert_weights_equal(network_weights(shared.generator),
                         network_weights(reference.generator), atol=1e-6)
    assert not np.allclose(network_weights(shared.generator)[0],
                           network_weights(make_gaussian_gan().generator)[0])
    assert int(shared.d_optimizer.iterations) == int(shared.g_optimizer.iterations) == 1


def test_train_step_logs_losses_and_accuracies(gaussian_gan, points):
    real = tf.constant(points[:32])
    # The step's fakes: the generator stream's noise at this step, before any update.
    fake = gaussian_gan.generator(gaussian_gan.noise(32, 1, gaussian_gan.g_optimizer.iterations))
    real_accuracy = np.mean(gaussian_gan.discriminator(real).numpy() > 0)
    fake_accuracy = np.mean(gaussian_gan.discriminator(fake).numpy() < 0)
    logs = gaussian_gan.train_step(real)
    assert set(logs) == {"d_loss", "g_loss", "d_real_acc", "d_fake_acc"}
    # Fresh networks output logits near 0: both losses start near log(2).
    assert float(logs["d_loss"]) == pytest.approx(np.log(2), abs=0.05)
    assert float(logs["g_loss"]) == pytest.approx(np.log(2), abs=0.05)
    # The accuracies are the discriminator's before its update.
    assert float(logs["d_real_acc"]) == pytest.approx(real_accuracy)
    assert float(logs["d_fake_acc"]) == pytest.approx(fake_accuracy)


def test_noise_is_a_function_of_seed_step_stream_and_replica(gaussian_gan):
    a = gaussian_gan.noise(4, 0, tf.constant(3))
    assert np.array_equal(a, gaussian_gan.noise(4, 0, tf.constant(3), replica=0))
    assert not np.allclose(a, gaussian_gan.noise(4, 0, tf.constant(4)))
    assert not np.allclose(a, gaussian_gan.noise(4, 1, tf.constant(3)))
    assert not np.allclose(a, gaussian_gan.noise(4, 0, tf.constant(3), replica=1))


def test_compile_builds_both_optimizers(gaussian_gan):
    assert gaussian_gan.d_optimizer.built and gaussian_gan.g_optimizer.built
    assert gaussian_gan.optimizer is None


def test_one_optimizer_for_both_networks_is_refused():
    gan = make_gaussian_gan()
    shared = keras.optimizers.Adam()
    with pytest.raises(KganError, match="two optimizer instances"):
        gan.compile(d_optimizer=shared, g_optimizer=shared)


def test_generate_is_reproducible(gaussian_gan):
    a = gaussian_gan.generate(10, seed=3)
    assert a.shape == (10, 2)
    np.testing.assert_array_equal(a, gaussian_gan.generate(10, seed=3))
    assert not np.allclose(a, gaussian_gan.generate(10, seed=4))


def test_get_config_round_trip(gaussian_gan):
    config = gaussian_gan.get_config()
    clone = kgan.GAN.from_config(config)
    assert clone.get_config() == config
    assert clone.latent_dim == 2 and clone.seed == gaussian_gan.seed
    clone.compile_from_config(gaussian_gan.get_compile_config())
    assert clone.get_compile_config() == gaussian_gan.get_compile_config()


def _fit(gan, points, epochs):
    dataset = tf.data.Dataset.from_tensor_slices(points).batch(32, drop_remainder=True)
    gan.fit(dataset, epochs=epochs, verbose=0)


def test_keras_file_round_trip_restores_training_state(gaussian_gan, points, tmp_path):
    _fit(gaussian_gan, points, epochs=2)
    path = str(tmp_path / "gan.keras")
    gaussian_gan.save(path)
    loaded = keras.saving.load_model(path)

    assert isinstance(loaded, kgan.GAN)
    assert_weights_equal(loaded.get_weights(), gaussian_gan.get_weights())
    for name in ("d_optimizer", "g_optimizer"):
        original, restored = getattr(gaussian_gan, name), getattr(loaded, name)
        assert int(restored.iterations) == int(original.iterations) == 16
        # Adam's moments and the iteration count are the optimizer's variables.
        assert_weights_equal(values(restored.variables), values(original.variables))
        assert any(np.abs(v).sum() > 0 for v in values(restored.variables)[1:])

    # Training on continues identically: the noise is keyed by the restored iteration counts.
    _fit(gaussian_gan, points, epochs=1)
    _fit(loaded, points, epochs=1)
    assert_weights_equal(loaded.get_weights(), gaussian_gan.get_weights(), atol=1e-6)


def _batchnorm_gan(ema):
    """A 2D GAN whose generator has a BatchNorm layer, trained for a few steps."""
    keras.utils.set_random_seed(0)
    generator = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8),
                                  keras.layers.BatchNormalization(), keras.layers.ReLU(),
                                  keras.layers.Dense(2)])
    gan = kgan.GAN(generator, make_gaussian_gan().discriminator, latent_dim=4, seed=0)
    gan.compile(keras.optimizers.Adam(0.01),
                keras.optimizers.Adam(0.05, use_ema=ema, ema_momentum=0.5))
    real = tf.constant(kgan.data.gaussian_points(64))
    for step in range(5):
        gan.adversarial_step(real, gan.noise(64, 1, step, replica=0))
    return gan


@pytest.mark.parametrize("ema", [False, True])
def test_samples_use_standing_batchnorm_statistics(monkeypatch, ema):
    gan = _batchnorm_gan(ema)
    monkeypatch.setattr(inference, "STANDING_SAMPLES", 128)
    monkeypatch.setattr(inference, "STANDING_BATCH", 64)
    live = values(gan.generator.weights)
    copy = gan.sampling_generator()
    assert_weights_equal(values(gan.generator.weights), live)  # the live generator untouched
    # The copy's moving mean and variance are the average of its batch statistics over the
    # standing batches: for the first BatchNorm, of its Dense layer's outputs.
    batches = inference.standing_inputs(gan)
    assert len(batches) == 2
    dense, norm = copy.layers[0], copy.layers[1]
    outputs = [dense(batch).numpy() for batch in batches]
    np.testing.assert_allclose(norm.moving_mean.numpy(),
                               np.mean([x.mean(axis=0) for x in outputs], axis=0), atol=1e-5)
    np.testing.assert_allclose(norm.moving_variance.numpy(),
                               np.mean([x.var(axis=0) for x in outputs], axis=0), rtol=1e-4)
    assert norm.momentum == 0.99  # the copy keeps the live layer's settings
    weights = values(copy.trainable_weights)
    expected = values(gan.generator.trainable_weights)
    assert ema != all(np.allclose(a, b) for a, b in zip(weights, expected))  # EMA: the averages
    # With one standing batch, inference on it is the training-mode pass of the same weights.
    monkeypatch.setattr(inference, "STANDING_SAMPLES", 64)
    copy = gan.sampling_generator()
    (batch,) = inference.standing_inputs(gan)
    twin = keras.models.clone_model(copy)
    twin.set_weights(copy.get_weights())
    np.testing.assert_allclose(copy(batch, training=False), twin(batch, training=True),
                               atol=1e-4)
    # ... which the lagging moving averages of the live generator are not.
    assert not np.allclose(gan.generator(batch, training=False), twin(batch, training=True),
                           atol=1e-2)
    np.testing.assert_allclose(gan.generate(64, seed=0), copy(kgan.latent_batch(64, 4, 0)),
                               atol=1e-5)


def test_a_generator_without_batchnorm_or_average_samples_as_it_is(gaussian_gan):
    assert gaussian_gan.sampling_generator() is gaussian_gan.generator
