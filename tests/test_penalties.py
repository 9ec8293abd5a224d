import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import make_gaussian_gan

import kgan
from kgan import penalties


def linear_critic(weights):
    """D(x) = w . x + 1, whose input gradient is w everywhere."""
    critic = keras.Sequential([keras.Input((len(weights),)), keras.layers.Dense(1)])
    critic.set_weights([np.array(weights, np.float32)[:, None], np.ones(1, np.float32)])
    return critic


def test_gradient_penalty_of_a_linear_critic_is_its_closed_form():
    critic = linear_critic([3.0, 4.0])  # ||w|| = 5
    real = tf.random.stateless_normal((6, 2), (1, 2))
    fake = tf.random.stateless_normal((6, 2), (3, 4))
    mix = tf.random.stateless_uniform((6,), (5, 6))
    assert float(penalties.gradient_penalty(critic, real, fake, mix)) == pytest.approx((5 - 1) ** 2)


def test_r1_of_a_linear_critic_is_the_squared_weight_norm():
    critic = linear_critic([3.0, 4.0])
    assert float(penalties.r1_penalty(critic, tf.zeros((4, 2)))) == pytest.approx(25.0)


def test_gradient_penalty_is_zero_for_a_unit_norm_critic():
    critic = linear_critic([0.6, 0.8])
    real, fake = tf.ones((3, 2)), tf.zeros((3, 2))
    assert float(penalties.gradient_penalty(critic, real, fake, tf.fill((3,), 0.5))) == pytest.approx(
        0.0, abs=1e-6)


def test_wasserstein_defaults_to_a_gradient_penalty_and_d_steps_update_the_critic():
    gan = make_gaussian_gan()
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3), loss="wasserstein",
                d_steps=3, r1_gamma=1.0, r1_every=2)
    assert gan.gp_weight == 10.0
    logs = gan.train_step(tf.random.stateless_normal((8, 2), (1, 1)))
    assert int(gan.d_optimizer.iterations) == 3 and int(gan.g_optimizer.iterations) == 1
    assert all(np.isfinite(float(v)) for v in logs.values())
    config = gan.get_compile_config()
    assert (config["gp_weight"], config["d_steps"], config["r1_gamma"], config["r1_every"]) == (
        10.0, 3, 1.0, 2)
    clone = make_gaussian_gan()
    clone.compile_from_config(config)
    assert (clone.loss_name, clone.gp_weight, clone.d_steps) == ("wasserstein", 10.0, 3)


def test_penalties_change_the_discriminator_loss():
    real = tf.random.stateless_normal((8, 2), (2, 2))
    plain, penalised = make_gaussian_gan(), make_gaussian_gan()
    penalised.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3), gp_weight=10.0)
    plain_loss = float(plain.discriminator_step(real)[0])
    penalised_loss = float(penalised.discriminator_step(real)[0])
    # A tiny fresh critic has input gradients near 0, so its penalty is close to 10 * (0 - 1)^2.
    assert penalised_loss - plain_loss == pytest.approx(10.0, rel=0.05)


def test_lazy_r1_applies_every_k_steps_k_times_as_strong():
    def gan_with(r1_gamma):
        generator = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
        gan = kgan.GAN(generator, linear_critic([3.0, 4.0]), latent_dim=2, seed=0)
        # Learning rate 0: the critic stays the same while the steps are counted.
        gan.compile(keras.optimizers.SGD(0.0), keras.optimizers.SGD(0.0), r1_gamma=r1_gamma,
                    r1_every=3)
        return gan

    plain, lazy = gan_with(0.0), gan_with(2.0)
    real = tf.random.stateless_normal((4, 2), (1, 2))
    fake = tf.random.stateless_normal((4, 2), (3, 4))
    added = [float(lazy.discriminator_step(real, fake)[0] - plain.discriminator_step(real, fake)[0])
             for _ in range(6)]
    # This critic's R1 is ||w||^2 = 25: gamma / 2 * 25 * r1_every on steps 0 and 3, else nothing.
    assert added == pytest.approx([75.0, 0.0, 0.0, 75.0, 0.0, 0.0], abs=1e-4)


def _rms(a, b):
    return np.sqrt(np.mean((np.ravel(a) - np.ravel(b)) ** 2))


@pytest.mark.parametrize("labels", [None, [0, 0, 1, 1, 0, 2, 2, 1]], ids=["all", "by-class"])
def test_mode_seeking_penalty_is_the_inverse_mean_distance_ratio_of_pairs(labels):
    rng = np.random.default_rng(0)
    z = rng.normal(size=(8, 4)).astype(np.float32)
    samples = rng.uniform(-1, 1, size=(8, 3, 3, 1)).astype(np.float32)
    pairs = [(i, j) for i in range(8) for j in range(8)
             if i != j and (labels is None or labels[i] == labels[j])]
    ratio = np.mean([_rms(samples[i], samples[j]) / _rms(z[i], z[j]) for i, j in pairs])
    got = penalties.mode_seeking_penalty(samples, z, None if labels is None else np.array(labels))
    assert float(got) == pytest.approx(1 / (ratio + 1e-5), rel=1e-4)


def test_mode_seeking_penalty_grows_as_samples_collapse_and_needs_a_pair_of_a_class():
    rng = np.random.default_rng(1)
    z = rng.normal(size=(6, 4)).astype(np.float32)
    varied = rng.uniform(-1, 1, size=(6, 5)).astype(np.float32)
    collapsed = varied[:1] + 0.01 * varied  # all near one sample
    assert float(penalties.mode_seeking_penalty(collapsed, z)) > 50 * float(
        penalties.mode_seeking_penalty(varied, z))
    assert float(penalties.mode_seeking_penalty(varied, z, np.arange(6))) == 0.0


def test_mode_seeking_reaches_the_generator_loss_and_the_compile_config():
    z_batch = tf.random.stateless_normal((8, 2), (4, 4))
    plain, seeking = make_gaussian_gan(), make_gaussian_gan()
    # The optimizers of make_gaussian_gan's: both discriminators take the same update.
    seeking.compile(keras.optimizers.Adam(0.01, beta_1=0.5),
                    keras.optimizers.Adam(0.01, beta_1=0.5), mode_seeking=2.0)
    real = tf.random.stateless_normal((8, 2), (2, 2))
    fake = seeking.generator(z_batch)
    added = float(seeking.adversarial_step(real, z_batch)[3]
                  - plain.adversarial_step(real, z_batch)[3])
    penalty = float(penalties.mode_seeking_penalty(fake, z_batch))
    assert added == pytest.approx(2.0 * penalty, rel=1e-4)
    config = seeking.get_compile_config()
    assert config["mode_seeking"] == 2.0
    clone = make_gaussian_gan()
    clone.compile_from_config(config)
    assert clone.mode_seeking == 2.0
    # A file written before the option existed compiles with it off.
    del config["mode_seeking"]
    clone.compile_from_config(config)
    assert clone.mode_seeking == 0.0
