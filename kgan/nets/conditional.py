"""Assembling a family's layers into networks, unconditional or conditioned on a class label.

Every family describes its networks as lists of layers; these functions wire them up. With
`num_classes = 0` the networks are the plain `Sequential` ones, `G(z)` and `D(x)`. With classes
they follow stylegan2-ada's convention, `G([z, label])` and `D([x, label])` with integer labels
`[batch]`:

- the generator concatenates a learned class embedding, of the latent vector's size and scale,
  to `z` (Mirza & Osindero 2014);
- the discriminator is a projection discriminator (Miyato & Koyama 2018): its logit is
  `psi(h) + <embed(label), pool(h)>`, where `h` are the features before the unconditional logit
  layers `psi` and `pool` averages them over space.
"""

import keras
from keras import layers

from kgan.nets import init

# The conditional generator's class embedding layer.
CLASS_EMBEDDING = "class_embedding"


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
    embedding = layers.Embedding(num_classes, latent_dim, name=CLASS_EMBEDDING,
                                 embeddings_initializer=keras.initializers.RandomNormal())
    outputs = _chain(body, layers.Concatenate()([z, embedding(label)]))
    return keras.Model([z, label], outputs, name="generator")


def embedding_input_generator(generator):
    """A conditional generator (of `generator_network`) that takes the class embedding itself:
    `G([z, e])` with `e` `[batch, latent_dim]` in place of the label's embedding, so that a
    walk can pass between classes. It shares `generator`'s layers and weights.
    """
    concatenate = next(layer for layer in generator.layers
                       if isinstance(layer, layers.Concatenate))
    body = generator.layers[generator.layers.index(concatenate) + 1:]
    latent_dim = generator.get_layer(CLASS_EMBEDDING).output_dim
    z, embedded = keras.Input((latent_dim,)), keras.Input((latent_dim,))
    return keras.Model([z, embedded], _chain(body, concatenate([z, embedded])))


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
