"""Assembling a family's layers into networks, unconditional or conditioned on a class label.

Every family describes its networks as lists of layers; these functions wire them up. With
`num_classes = 0` the networks are the plain `Sequential` ones, `G(z)` and `D(x)`. With classes
they follow stylegan2-ada's convention, `G([z, label])` and `D([x, label])` with integer labels
`[batch]`:

- the generator concatenates a learned class embedding, of the latent vector's size and scale,
  to `z` (Mirza & Osindero 2014), and follows every BatchNorm layer with a class-conditional
  scale and shift (`ClassAffine`): conditional BatchNorm, as in cGANs with projection and
  BigGAN. With the embedding alone, a conditional DCGAN-28 on real labelled sprites drew the
  wrong class four times in five (scripts/RESULTS.md, "Conditional GANs");
- the discriminator is a projection discriminator (Miyato & Koyama 2018): its logit is
  `psi(h) + <embed(label), pool(h)>`, where `h` are the features before the unconditional logit
  layers `psi` and `pool` averages them over space.
"""

import keras
from keras import layers, ops

from kgan.nets import init


def generator_network(latent_dim, body, num_classes=0):
    """The generator: `body` (layers from one input vector to a sample) after `z`, or after
    `z` concatenated with the label's embedding.

    Args:
        latent_dim: the noise size.
        body: the layers, in order; the first must accept any input width.
        num_classes: 0 for an unconditional generator.

    Returns:
        A built Keras model named `generator`.
    """
    if not num_classes:
        return keras.Sequential([keras.Input((latent_dim,))] + body, name="generator")
    z = keras.Input((latent_dim,), name="z")
    label = keras.Input((), dtype="int32", name="label")
    # N(0, 1) like z, so that neither input starts out drowned by the other.
    embedding = layers.Embedding(num_classes, latent_dim, name="class_embedding",
                                 embeddings_initializer=keras.initializers.RandomNormal())
    outputs = layers.Concatenate()([z, embedding(label)])
    for layer in body:
        outputs = layer(outputs)
        if isinstance(layer, layers.BatchNormalization):
            outputs = ClassAffine(num_classes)([outputs, label])
    return keras.Model([z, label], outputs, name="generator")


@keras.saving.register_keras_serializable(package="kgan")
class ClassAffine(layers.Layer):
    """A class-conditional scale and shift of normalised features: `x * (1 + gain[label]) +
    bias[label]`, channels last. Both tables start at zero, so the layer starts as the
    identity and the BatchNorm before it keeps its own shared scale and shift.

    Args:
        num_classes: the number of classes.
        **kwargs: passed to `keras.layers.Layer`.
    """

    def __init__(self, num_classes, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = int(num_classes)

    def build(self, input_shape):
        """Makes one gain and one bias per class and channel."""
        channels = input_shape[0][-1]
        self.gain = self.add_weight(shape=(self.num_classes, channels), initializer="zeros",
                                    name="gain")
        self.bias = self.add_weight(shape=(self.num_classes, channels), initializer="zeros",
                                    name="bias")

    def call(self, inputs):
        """Scales and shifts `x` `[batch, ..., channels]` by its label's row, `[batch]`."""
        x, label = inputs
        # [batch, channels] -> [batch, 1, ..., 1, channels], to broadcast over the positions.
        shape = [-1] + [1] * (len(x.shape) - 2) + [x.shape[-1]]
        gain = ops.reshape(ops.take(self.gain, label, axis=0), shape)
        bias = ops.reshape(ops.take(self.bias, label, axis=0), shape)
        return x * ops.cast(1.0 + gain, x.dtype) + ops.cast(bias, x.dtype)

    def compute_output_shape(self, input_shape):
        """The features' shape."""
        return input_shape[0]

    def get_config(self):
        """Returns the layer's config: its number of classes."""
        return {**super().get_config(), "num_classes": self.num_classes}


def discriminator_network(sample_shape, features, logit, num_classes=0):
    """The discriminator: `features` then the `logit` layers, plus the projection term when
    conditional.

    Args:
        sample_shape: one sample's shape.
        features: layers from a sample to its features `h`, `[batch, ...]`.
        logit: layers from `h` to one logit `[batch, 1]`.
        num_classes: 0 for an unconditional discriminator.

    Returns:
        A built Keras model named `discriminator`.
    """
    if not num_classes:
        return keras.Sequential([keras.Input(tuple(sample_shape))] + features + logit,
                                name="discriminator")
    x = keras.Input(tuple(sample_shape), name="x")
    label = keras.Input((), dtype="int32", name="label")
    h = _chain(features, x)
    pooled = layers.GlobalAveragePooling2D()(h) if len(h.shape) == 4 else h
    embedding = layers.Embedding(num_classes, pooled.shape[-1], name="class_projection",
                                 embeddings_initializer=init.weights())
    # In float32, as the unconditional logit is: the sum is the network's output.
    projection = layers.Dot(axes=1, dtype="float32")([embedding(label), pooled])
    outputs = layers.Add(dtype="float32")([_chain(logit, h), projection])
    return keras.Model([x, label], outputs, name="discriminator")


def _chain(chain_layers, inputs):
    for layer in chain_layers:
        inputs = layer(inputs)
    return inputs
