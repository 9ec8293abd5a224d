import keras
import numpy as np
import pytest
import tensorflow as tf

from kgan.nets.batchnorm import FusedBatchNormalization


def _layer(layer_class, policy, shape):
    layer = layer_class(dtype=policy, momentum=0.9, gamma_initializer="random_normal",
                        beta_initializer="random_normal")
    layer.build(shape)
    return layer


def _train_once(layer_class, policy, x, weights):
    """One training call and its gradient; returns everything that must match Keras' layer."""
    layer = _layer(layer_class, policy, x.shape)
    layer.set_weights(weights)
    inputs = tf.cast(x, layer.compute_dtype)
    # Unequal weights per element, so the gradient depends on the batch statistics.
    ramp = tf.reshape(tf.range(tf.size(x), dtype="float32"), x.shape) / float(tf.size(x))
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        outputs = layer(inputs, training=True)
        loss = tf.reduce_sum(tf.cast(outputs, "float32") * ramp)
    gradients = tape.gradient(loss, [inputs, *layer.trainable_weights])
    results = [outputs, *gradients, layer.moving_mean, layer.moving_variance,
               layer(inputs, training=False)]
    return [np.asarray(tf.cast(r, "float32")) for r in results]


@pytest.mark.parametrize("policy", ["float32", "mixed_bfloat16"])
def test_fused_layer_trains_like_keras_batchnorm(policy):
    x = tf.random.stateless_normal((8, 5, 5, 6), (1, 2)) * 3.0 + 1.0
    weights = _layer(keras.layers.BatchNormalization, policy, x.shape).get_weights()
    expected = _train_once(keras.layers.BatchNormalization, policy, x, weights)
    got = _train_once(FusedBatchNormalization, policy, x, weights)
    names = ["outputs", "input gradient", "gamma gradient", "beta gradient", "moving mean",
             "moving variance", "inference outputs"]
    for name, a, b in zip(names, got, expected):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5, err_msg=name)
    assert got[0].dtype == expected[0].dtype


def test_fused_layer_config_round_trips():
    layer = FusedBatchNormalization(momentum=0.8, epsilon=1e-4, gamma_initializer="random_normal")
    copy = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert type(copy) is FusedBatchNormalization
    assert copy.get_config() == layer.get_config()


def test_synchronized_and_other_ranks_use_the_keras_path():
    layer = FusedBatchNormalization()
    layer.build((None, 4))
    assert not layer._fusable(tf.zeros((2, 4)))
    layer = FusedBatchNormalization(synchronized=True)
    layer.build((None, 2, 2, 4))
    assert not layer._fusable(tf.zeros((2, 2, 2, 4)))
    assert FusedBatchNormalization()._fusable(tf.zeros((2, 2, 2, 4)))
