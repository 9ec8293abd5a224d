"""The DCGAN initialisation (Radford et al. 2015): weights N(0, 0.02), BatchNorm gamma N(1, 0.02)."""

import keras

WEIGHTS = keras.initializers.RandomNormal(stddev=0.02)
BATCHNORM_GAMMA = keras.initializers.RandomNormal(mean=1.0, stddev=0.02)
