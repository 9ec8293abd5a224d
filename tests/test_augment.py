import keras
import numpy as np
import pytest
import tensorflow as tf

import kgan
from kgan import augment
from kgan.errors import KganError

POLICY = ("color", "translation", "cutout")


def images(seed=0):
    return tf.random.stateless_uniform((6, 16, 16, 3), (seed, 1), -1, 1)


def test_color_shifts_brightness_per_image_and_the_policy_clips_to_the_image_range():
    # On a gray image only the brightness acts: one shift in [-0.5, 0.5] per image.
    bright = tf.fill((8, 4, 4, 1), 0.9)
    seed = tf.constant([1, 2], tf.int64)
    shifted = augment.color(bright, seed).numpy() - 0.9
    per_image = shifted.reshape(8, -1)
    np.testing.assert_allclose(per_image, per_image[:, :1].repeat(16, axis=1), atol=1e-6)
    assert np.abs(per_image).max() <= 0.5 and per_image[:, 0].std() > 0.1
    assert per_image.max() > 0.1  # so some images leave the range [-1, 1] ...
    out = augment.diff_augment(bright, ("color",), seed).numpy()
    assert out.max() == 1.0 and out.min() >= -1.0  # ... and the policy clips them back
    assert out.shape == (8, 4, 4, 1)


def test_real_and_fake_batches_draw_their_own_augmentations_reproducibly():
    preset = kgan.get_preset("mnist").with_overrides(augment="color,translation,cutout",
                                                     precision="fp32")
    gan = kgan.build_gan(preset, 0, 1)
    batch = tf.random.stateless_uniform((6, 28, 28, 1), (1, 2), -1, 1)

    def augmented(stream, step):
        return gan._augmented(batch, stream, step).numpy()

    real, fake = kgan.gan._AUGMENT_REAL_STREAM, kgan.gan._AUGMENT_FAKE_STREAM
    # The same stream and step: the same transformation (a resumed run augments as before).
    np.testing.assert_array_equal(augmented(real, 3), augmented(real, 3))
    # Real and fake batches of one step, and one stream at two steps, differ.
    assert not np.allclose(augmented(real, 3), augmented(fake, 3))
    assert not np.allclose(augmented(real, 3), augmented(real, 4))


def test_gradients_flow_through_the_augmentation():
    batch = tf.Variable(images())
    with tf.GradientTape() as tape:
        total = tf.reduce_sum(augment.diff_augment(batch, POLICY, tf.constant([1, 1], tf.int64)))
    assert float(tf.reduce_sum(tf.abs(tape.gradient(total, batch)))) > 0


def test_translation_moves_content_by_at_most_an_eighth():
    one = np.zeros((4, 16, 16, 1), np.float32)
    one[:, 8, 8, 0] = 1.0
    shifted = augment.translation(tf.constant(one), tf.constant([5, 6], tf.int64)).numpy()
    for image in shifted:
        (y,), (x,) = np.nonzero(image[..., 0] == 1.0)
        assert abs(y - 8) <= 2 and abs(x - 8) <= 2


def test_cutout_zeroes_a_quarter_at_most():
    ones = tf.ones((8, 16, 16, 1))
    holes = 1.0 - augment.cutout(ones, tf.constant([7, 8], tf.int64)).numpy()
    assert 0 < holes.mean() <= 0.25


def test_unknown_transformation_and_points():
    with pytest.raises(KganError, match="unknown augmentation blur"):
        augment.parse_policy("color,blur")
    with pytest.raises(KganError, match="DiffAugment transforms images"):
        kgan.build_gan(kgan.get_preset("gaussian").with_overrides(augment="color"), 0, 1)


def test_gan_trains_with_diffaugment_and_spectral_norm():
    preset = kgan.get_preset("mnist").with_overrides(
        augment="color,translation,cutout", spectral_norm=True, precision="fp32")
    gan = kgan.build_gan(preset, 0, steps_per_epoch=1)
    real = tf.random.stateless_uniform((8, 28, 28, 1), (1, 2), -1, 1)
    for _ in range(5):
        logs = gan.train_step(real)
    assert all(np.isfinite(float(v)) for v in logs.values())
    wrapped = [layer for layer in gan.discriminator.layers
               if isinstance(layer, keras.layers.SpectralNormalization)]
    assert len(wrapped) == 4  # every convolution of the 28x28 discriminator
    for layer in wrapped:
        kernel = layer.layer.kernel.numpy()
        top = np.linalg.svd(kernel.reshape(-1, kernel.shape[-1]), compute_uv=False)[0]
        assert top == pytest.approx(1.0, abs=0.1)
    assert kgan.GAN.from_config(gan.get_config()).discriminator.count_params() == (
        gan.discriminator.count_params())
