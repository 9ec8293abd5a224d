"""Assembling a family's layers into networks, unconditional or conditioned on a class label.

Every family describes its networks as lists of layers; these functions wire them up. With
`num_classes = 0` the networks are the plain `Sequential` ones, `G(z)` and `D(x)`. With classes
they follow stylegan2-ada's convention, `G([z, label])` and `D([x, label])` with integer labels
`[batch]`:

- the generator embeds the label in a learned vector of the latent vector's size and scale, and
  either concatenates it to `z` (`class_input="concat"`, Mirza & Osindero 2014) or scales and
  shifts the output of every BatchNorm layer by amounts projected from it
  (`class_input="batchnorm"`: conditional BatchNorm with BigGAN's shared embedding, de Vries et
  al. 2017, Brock et al. 2019), so that `z` alone enters the first layer;
- the discriminator is a projection discriminator (Miyato & Koyama 2018): its logit is
  `psi(h) + <embed(label), pool(h)>`, where `h` are the features before the unconditional logit
  layers `psi` and `pool` averages them over space.
"""

import keras
from keras import layers, ops

from kgan.errors import KganError
from kgan.nets import init

# The conditional generator's class embedding layer.
CLASS_EMBEDDING = "class_embedding"
# How a conditional generator takes its class (see the module's docstring).
CLASS_INPUTS = ("concat", "batchnorm")


def generator_network(latent_dim, body, num_classes=0, class_input="concat"):
    """The generator: `body` (layers from one input vector to a sample) after `z`, conditioned
    on the label's embedding when there are classes.

    Args:
        latent_dim: the noise size.
        body: the layers, in order; the first must accept any input width.
        num_classes: 0 for an unconditional generator.
        class_input: one of `CLASS_INPUTS`, for a conditional generator.

    Returns:
        A built Keras model named `generator`.

    Raises:
        KganError: an unknown `class_input`, or `batchnorm` for a body without BatchNorm
            layers of its own.
    """
    if class_input not in CLASS_INPUTS:
        raise KganError(f"unknown class_input {class_input!r}; choose one of: "
                        f"{', '.join(CLASS_INPUTS)}")
    if not num_classes:
        return keras.Sequential([keras.Input((latent_dim,))] + body, name="generator")
    z = keras.Input((latent_dim,), name="z")
    label = keras.Input((), dtype="int32", name="label")
    # N(0, 1) like z, so that neither input starts out drowned by the other.
    embedded = layers.Embedding(num_classes, latent_dim, name=CLASS_EMBEDDING,
                                embeddings_initializer=keras.initializers.RandomNormal())(label)
    if class_input == "concat":
        outputs = _chain(body, layers.Concatenate()([z, embedded]))
    else:
        if not any(isinstance(layer, layers.BatchNormalization) for layer in body):
            raise KganError("class_input 'batchnorm' needs a generator with BatchNorm layers "
                            "of its own (not inside blocks); use 'concat'")
        outputs = z
        for layer in body:
            outputs = layer(outputs)
            if isinstance(layer, layers.BatchNormalization):
                outputs = ClassModulation()([outputs, embedded])
    return keras.Model([z, label], outputs, name="generator")


def embedding_input_generator(generator):
    """A conditional generator (of `generator_network`) that takes the class embedding itself:
    `G([z, e])` with `e` `[batch, latent_dim]` in place of the label's embedding, so that a
    walk can pass between classes. It shares `generator`'s layers and weights: their chain is
    called again, `e` entering wherever the embedding did.
    """
    latent_dim = generator.get_layer(CLASS_EMBEDDING).output_dim
    z, embedded = keras.Input((latent_dim,)), keras.Input((latent_dim,))
    outputs = z
    for layer in generator.layers:  # in the order of the chain
        if isinstance(layer, (layers.InputLayer, layers.Embedding)):
            continue
        if isinstance(layer, layers.Concatenate):
            outputs = layer([z, embedded])
        elif isinstance(layer, ClassModulation):
            outputs = layer([outputs, embedded])
        else:
            outputs = layer(outputs)
    return keras.Model([z, embedded], outputs)


@keras.saving.register_keras_serializable(package="kgan")
class ClassModulation(layers.Layer):
    """The class's part of conditional BatchNorm: `x * (1 + e W_gain) + e W_bias` per channel
    for features `x` and the class embedding `e`, called on `[x, e]`.

    Both projections start at zero, so the layer starts as the identity and the generator as
    an unconditional one; what it learns of the class it learns in every BatchNorm layer.
    """

    def build(self, input_shape):
        """Creates the two projections from the embedding's width to the channels."""
        features, embedded = input_shape
        shape = (embedded[-1], features[-1])
        self.gain = self.add_weight(name="gain", shape=shape, initializer="zeros")
        self.bias = self.add_weight(name="bias", shape=shape, initializer="zeros")

    def call(self, inputs):
        """Scales and shifts `inputs[0]` by the projections of `inputs[1]`."""
        features, embedded = inputs
        per_channel = (-1,) + (1,) * (len(features.shape) - 2) + (features.shape[-1],)
        gain = ops.reshape(ops.matmul(embedded, self.gain), per_channel)
        bias = ops.reshape(ops.matmul(embedded, self.bias), per_channel)
        return features * (1.0 + gain) + bias

    def compute_output_shape(self, input_shape):
        """The features' shape."""
        return input_shape[0]


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
