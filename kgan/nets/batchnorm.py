"""BatchNormalization that trains with TensorFlow's fused kernel.

Keras 3 normalises in separate element-wise passes (moments, then the normalisation, each with
its own gradient, and under mixed precision a cast to float32 and back around them). TensorFlow's
`FusedBatchNormV3` does the forward pass in one kernel and the backward pass in another, which is
faster (scripts/RESULTS.md, "The training step").
"""

import keras
import tensorflow as tf
from keras import ops

# The fused kernel raises any smaller epsilon to this value (a cuDNN limit).
_MIN_FUSED_EPSILON = 1.001e-5


@keras.saving.register_keras_serializable(package="kgan")
class FusedBatchNormalization(keras.layers.BatchNormalization):
    """`keras.layers.BatchNormalization` whose training pass over 4D channels-last inputs runs
    TensorFlow's fused kernel: the same arguments, weights, moving averages and config.

    Everything else goes through the Keras layer: inference, other ranks or axes, synchronized
    statistics, masks, renormalisation, and a layer without `scale` or `center`.
    """

    def call(self, inputs, training=None, mask=None):
        """Normalises `inputs` as `keras.layers.BatchNormalization` does."""
        if not (training and self.trainable and mask is None and self._fusable(inputs)):
            return super().call(inputs, training=training, mask=mask)
        outputs, mean, variance = tf.compat.v1.nn.fused_batch_norm(
            inputs, ops.cast(self.gamma, "float32"), ops.cast(self.beta, "float32"),
            epsilon=self.epsilon, is_training=True)
        # The kernel returns the variance with Bessel's correction; Keras averages the plain one.
        count = ops.cast(ops.prod(ops.shape(inputs)[:-1]), "float32")
        variance = variance * (count - 1.0) / count
        self.moving_mean.assign(self.moving_mean * self.momentum + mean * (1.0 - self.momentum))
        self.moving_variance.assign(
            self.moving_variance * self.momentum + variance * (1.0 - self.momentum))
        return ops.cast(outputs, self.compute_dtype)

    def _fusable(self, inputs):
        return (len(inputs.shape) == 4 and self.axis in (-1, 3) and not self.synchronized
                and not self.renorm and self.scale and self.center
                and self.epsilon >= _MIN_FUSED_EPSILON)
