"""Shared fixtures: tiny seeded GANs and data, so that every test is fast and deterministic."""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# No test reads or fills the user's cache of decoded data sets; tests/test_cache.py turns a
# cache of its own on.
os.environ["KGAN_CACHE"] = "off"

import kgan  # first: it loads TensorFlow quietly (kgan.backend), before keras does

import keras
import numpy as np
import pytest
from kgan.nets.gaussian import gaussian_networks


def make_gaussian_gan(seed=0, lr=0.01):
    """A compiled 2D GAN with the Gaussian preset's networks."""
    keras.utils.set_random_seed(seed)
    generator, discriminator = gaussian_networks(2, (2,), hidden=(8, 8))
    gan = kgan.GAN(generator, discriminator, latent_dim=2, seed=seed)
    gan.compile(
        d_optimizer=keras.optimizers.Adam(lr, beta_1=0.5),
        g_optimizer=keras.optimizers.Adam(lr, beta_1=0.5),
    )
    return gan


@pytest.fixture
def gaussian_gan():
    return make_gaussian_gan()


@pytest.fixture
def points():
    return kgan.data.gaussian_points(256)


def network_weights(network):
    return network.get_weights()


def values(variables):
    """The current values of Keras variables as NumPy arrays."""
    return [keras.ops.convert_to_numpy(v) for v in variables]


def assert_weights_equal(a, b, atol=0.0):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        np.testing.assert_allclose(x, y, atol=atol, rtol=0)
