"""The DCGAN initialisation (Radford et al. 2015): weights N(0, 0.02), BatchNorm gamma N(1, 0.02).

These are functions, not shared instances: Keras gives an initialiser built with `seed=None` a
fixed seed drawn from Python's `random` when it is constructed, and reuses it on every call. Built
once at import time, one instance would ignore `keras.utils.set_random_seed` and start every layer
of the same shape with the same weights. Built per layer, after seeding, each draws its own seed
from the seeded generator, so the weights are a function of the seed.
"""

import keras


def weights():
    """A fresh N(0, 0.02) initialiser for one layer's kernel."""
    return keras.initializers.RandomNormal(stddev=0.02)


def glorot():
    """A fresh Glorot-uniform initialiser for one layer's kernel (the residual networks')."""
    return keras.initializers.GlorotUniform()


def batchnorm_gamma():
    """A fresh N(1, 0.02) initialiser for one BatchNorm layer's scale."""
    return keras.initializers.RandomNormal(mean=1.0, stddev=0.02)
