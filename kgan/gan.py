"""`GAN`, a `keras.Model` that trains a generator against a discriminator with `fit()`.

The algorithm and nothing else: networks come in, data comes in through `fit()`, and each
`train_step` makes one discriminator update followed by one generator update.
"""

import copy
import warnings

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from kgan import augment as kaugment
from kgan import inference, losses, penalties
from kgan.errors import KganError

# Each update draws its noise from a stateless generator keyed by (seed, stream, step, replica):
# the noise is a pure function of the optimizers' iteration counts, so a resumed run draws exactly
# the noise the uninterrupted run would have drawn, and every replica of a distributed run draws
# its own.
_CRITIC_STREAM = 0
_GENERATOR_STREAM = 1
_PENALTY_STREAM = 2
_AUGMENT_REAL_STREAM = 3
_AUGMENT_FAKE_STREAM = 4
_AUGMENT_GENERATED_STREAM = 5
_STREAMS = 6
# `compile` options beside the optimizers and the loss, kept in the compile config.
_COMPILE_OPTIONS = ("gp_weight", "r1_gamma", "r1_every", "d_steps", "augment", "mode_seeking")



@keras.saving.register_keras_serializable(package="kgan")
class GAN(keras.Model):
    """A generative adversarial network trained with `model.fit(dataset)`.

    Each `train_step` updates the discriminator on a real batch and a batch of detached fakes,
    then the generator on the same fakes. `model(z)` runs the generator. A conditional GAN
    (`num_classes > 0`, Mirza & Osindero 2014) trains on `(samples, labels)` batches; its
    networks take `[z, labels]` and `[x, labels]` (see `kgan.nets.conditional`), and the fakes
    carry the real batch's labels, so that they follow the data's label mix and a gradient
    penalty joins samples of one class. An unconditional GAN ignores labels (and warns once).

    Args:
        generator: a Keras model from `[batch, latent_dim]` noise (and labels) to samples.
        discriminator: a Keras model from samples (and labels) to one logit each, `[batch, 1]`.
        latent_dim: the size of the generator's input noise.
        num_classes: the number of classes the networks are conditioned on; 0: unconditional.
        class_names: the classes' names (default: their numbers), kept with the model.
        seed: seeds the training noise; drawn at random when `None` (and kept in the config).
        **kwargs: passed to `keras.Model` (e.g. `name`).
    """

    def __init__(self, generator, discriminator, latent_dim, num_classes=0, class_names=None,
                 seed=None, **kwargs):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = int(latent_dim)
        self.num_classes = int(num_classes)
        self.class_names = [str(name) for name in class_names or range(self.num_classes)]
        if len(self.class_names) != self.num_classes:
            raise KganError(f"{len(self.class_names)} class names for {num_classes} classes")
        self.seed = int(np.random.randint(2**31 - 1)) if seed is None else int(seed)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        # The equilibrium signal: both accuracies drift towards 0.5 as the fakes improve.
        self.real_accuracy_tracker = keras.metrics.Mean(name="d_real_acc")
        self.fake_accuracy_tracker = keras.metrics.Mean(name="d_fake_acc")

    @property
    def conditional(self):
        """True when the networks take class labels."""
        return self.num_classes > 0

    def build(self, input_shape=None):
        """Builds both networks; `input_shape` is ignored (the latent size fixes every shape)."""
        latent_shape = (None, self.latent_dim)
        if not self.generator.built:
            self.generator.build([latent_shape, (None,)] if self.conditional else latent_shape)
        if not self.discriminator.built:
            sample_shape = (None, *self.sample_shape)
            self.discriminator.build([sample_shape, (None,)] if self.conditional else sample_shape)
        self.built = True

    def call(self, inputs, training=False):
        """Runs the generator on latent vectors `z` `[batch, latent_dim]`, or on `[z, labels]`
        when conditional."""
        return self.generator(inputs, training=training)

    def _generate(self, z, labels, training):
        return self.generator([z, labels] if self.conditional else z, training=training)

    def _discriminate(self, samples, labels, training=True):
        return self.discriminator([samples, labels] if self.conditional else samples,
                                  training=training)

    def compile(self, d_optimizer="adam", g_optimizer="adam", loss="nonsaturating",
                gp_weight=None, r1_gamma=0.0, r1_every=1, d_steps=1, augment="",
                mode_seeking=0.0, **kwargs):
        """Configures training and builds both optimizers, so that checkpoints, `.keras` files
        and distribution strategies see their state from the start.

        Args:
            d_optimizer: the discriminator's optimizer (an instance or a name).
            g_optimizer: the generator's optimizer; a different instance.
            loss: a name from `kgan.losses.LOSSES`.
            gp_weight: WGAN-GP's weight; `None`: 10 for `wasserstein`, else 0 (off).
            r1_gamma: R1's gamma (0: off), applied every `r1_every` discriminator steps.
            d_steps: discriminator updates per generator update, on the same real batch.
            augment: DiffAugment of every discriminator input, e.g. `"color,cutout"` (empty:
                none); see `kgan.augment`.
            mode_seeking: the weight of MSGAN's mode-seeking term in the generator's loss (0:
                off); see `kgan.penalties.mode_seeking_penalty`.
            **kwargs: passed to `keras.Model.compile` (e.g. `jit_compile`).
        """
        # optimizer=None: a bare compile() would create an unused RMSprop as `self.optimizer`.
        super().compile(optimizer=None, **kwargs)
        self.d_optimizer = keras.optimizers.get(d_optimizer)
        self.g_optimizer = keras.optimizers.get(g_optimizer)
        if self.d_optimizer is self.g_optimizer:
            raise KganError("d_optimizer and g_optimizer must be two optimizer instances")
        self.loss_name = loss
        self.generator_loss, self.discriminator_loss = losses.get(loss)
        self.gp_weight = float((10.0 if loss == "wasserstein" else 0.0) if gp_weight is None
                               else gp_weight)
        self.r1_gamma, self.r1_every, self.d_steps = float(r1_gamma), int(r1_every), int(d_steps)
        self.augment = augment
        self.mode_seeking = float(mode_seeking)
        self._augment_policy = kaugment.parse_policy(augment)
        self.build()
        if self._augment_policy and len(self.sample_shape) != 3:
            raise KganError("DiffAugment transforms images; this generator makes points")
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)

    @property
    def metrics(self):
        """The trackers `fit()` logs and resets every epoch."""
        return [self.d_loss_tracker, self.g_loss_tracker, self.real_accuracy_tracker,
                self.fake_accuracy_tracker]

    def noise(self, batch_size, stream, step, replica=None):
        """The training noise `[batch_size, latent_dim]` of the update `step` of `stream`
        (`_GENERATOR_STREAM`: the fakes a `train_step` shares between its two updates) on
        `replica` (default: the current one)."""
        return tf.random.stateless_normal((batch_size, self.latent_dim),
                                          seed=_stream_seed(self.seed, stream, step, replica))

    def discriminator_step(self, real, fake=None, labels=None):
        """One discriminator update on a real batch `[batch, ...]` and as many fakes, taken as
        constants (`None`: made from fresh noise); `labels` are both batches' (conditional).
        Returns `(loss, real_accuracy, fake_accuracy)` before the update."""
        step = self.d_optimizer.iterations
        if fake is None:
            # Outside the tape: the fakes are constants here, so no generator gradient is computed.
            z = self.noise(ops.shape(real)[0], _CRITIC_STREAM, step)
            fake = self._generate(z, labels, training=True)
        fake = self._augmented(fake, _AUGMENT_FAKE_STREAM, step)
        real = self._augmented(real, _AUGMENT_REAL_STREAM, step)
        with tf.GradientTape() as tape:
            real_logits = self._discriminate(real, labels)  # [batch, 1]
            fake_logits = self._discriminate(fake, labels)  # [batch, 1]
            loss = (self.discriminator_loss(real_logits, fake_logits)
                    + self._penalties(real, fake, labels))
            replica_loss = _replica_loss(self.d_optimizer, loss)
        _apply_gradients(self.d_optimizer, tape, replica_loss, self.discriminator)
        real_accuracy = ops.mean(ops.cast(real_logits > 0, "float32"))
        fake_accuracy = ops.mean(ops.cast(fake_logits < 0, "float32"))
        return loss, real_accuracy, fake_accuracy

    def _augmented(self, images, stream, step):
        """DiffAugment of a discriminator input (unchanged without a policy)."""
        if not self._augment_policy:
            return images
        return kaugment.diff_augment(images, self._augment_policy,
                                     _stream_seed(self.seed, stream, step))

    def _penalties(self, real, fake, labels):
        """The gradient penalties of `compile`, with respect to the samples only, never the
        labels."""
        step = self.d_optimizer.iterations
        mix = tf.random.stateless_uniform(ops.shape(real)[:1], _stream_seed(self.seed, _PENALTY_STREAM, step))
        return penalties.discriminator_penalties(
            lambda samples, training: self._discriminate(samples, labels, training), real, fake,
            step, mix, self.gp_weight, self.r1_gamma, self.r1_every)

    def adversarial_step(self, real, z, labels=None):
        """One discriminator update, then one generator update, on the fakes of latent vectors
        `z`: the discriminator learns to reject `generator(z)`, then the generator learns from
        the updated discriminator's verdict on the same samples (d2l's `update_D` and
        `update_G`, without computing `generator(z)` twice). Returns `(d_loss, real_accuracy,
        fake_accuracy, g_loss)`, each before its update; `g_loss` includes the mode-seeking
        term."""
        with tf.GradientTape() as tape:
            fake = self._generate(z, labels, training=True)
            with tape.stop_recording():
                d_loss, real_accuracy, fake_accuracy = self.discriminator_step(real, fake, labels)
            augmented = self._augmented(fake, _AUGMENT_GENERATED_STREAM,
                                        self.g_optimizer.iterations)
            g_loss = self.generator_loss(self._discriminate(augmented, labels))
            if self.mode_seeking:
                g_loss += self.mode_seeking * penalties.mode_seeking_penalty(fake, z, labels)
            replica_loss = _replica_loss(self.g_optimizer, g_loss)
        _apply_gradients(self.g_optimizer, tape, replica_loss, self.generator)
        return d_loss, real_accuracy, fake_accuracy, g_loss

    def train_step(self, data):
        """`d_steps` discriminator updates, then one generator update, on a batch of samples
        or `(samples, labels)`. The logged `d_loss` includes the gradient penalties."""
        real, labels = _unpack(data, self.num_classes)
        # Extra critic updates (WGAN-GP) draw fakes of their own; the last shares its fakes with
        # the generator update.
        for _ in range(self.d_steps - 1):
            self.discriminator_step(real, labels=labels)
        z = self.noise(ops.shape(real)[0], _GENERATOR_STREAM, self.g_optimizer.iterations)
        d_loss, real_accuracy, fake_accuracy, g_loss = self.adversarial_step(real, z, labels)
        for tracker, value in zip(self.metrics, (d_loss, g_loss, real_accuracy, fake_accuracy)):
            tracker.update_state(value)
        return {metric.name: metric.result() for metric in self.metrics}

    def sampling_generator(self, raw=False):
        """The generator to sample from; see `kgan.inference.sampling_generator`."""
        return inference.sampling_generator(self, raw)

    @property
    def sample_shape(self):
        """One generated sample's shape, e.g. `(64, 64, 3)` or `(2,)`."""
        return tuple(self.generator.output_shape[1:])

    @property
    def step(self):
        """Training steps taken so far (generator updates)."""
        return int(self.g_optimizer.iterations.numpy()) if self.compiled else 0

    def generate(self, n, seed=None, labels=None, batch_size=256, raw=False, truncation=1.0):
        """`n` samples (NumPy, images in [-1, 1]) of `kgan.latent_batch(n, latent_dim, seed,
        truncation)` through the `sampling_generator(raw)`; a conditional GAN's `labels` are
        `None` (the classes in turn), one class or `n` classes. `truncation` psi in (0, 1]
        trades variety for typical samples; 1 changes nothing. Raises `KganError` for a label
        outside `[0, num_classes)` or a truncation outside (0, 1]."""
        return inference.generate(self, n, seed, labels, batch_size, raw, truncation)

    def from_latents(self, z, labels=None, batch_size=256, raw=False):
        """`generate` for given latent vectors `z` `[n, latent_dim]` (e.g. a latent walk)."""
        return inference.from_latents(self, z, labels, batch_size, raw)

    def save_own_variables(self, store):
        """Also saves random layers' seed states: a resumed run draws the same Dropout masks."""
        super().save_own_variables(store)
        for i, state in enumerate(_random_states((self.generator, self.discriminator))):
            store[f"random_state_{i}"] = state

    def load_own_variables(self, store):
        """Restores what `save_own_variables` saved."""
        for i, state in enumerate(_random_states((self.generator, self.discriminator))):
            if f"random_state_{i}" in store:
                state.assign(store[f"random_state_{i}"])

    def get_config(self):
        """Returns the networks' configs, the latent size, the classes and the noise seed."""
        return {"name": self.name,
                "generator": keras.saving.serialize_keras_object(self.generator),
                "discriminator": keras.saving.serialize_keras_object(self.discriminator),
                "latent_dim": self.latent_dim, "num_classes": self.num_classes,
                "class_names": self.class_names, "seed": self.seed}

    @classmethod
    def from_config(cls, config):
        """Rebuilds a GAN (untrained weights) from `get_config()`."""
        # A deep copy: Keras empties a functional network's config as it deserializes it.
        config = copy.deepcopy(config)
        for network in ("generator", "discriminator"):
            config[network] = keras.saving.deserialize_keras_object(config[network])
        return cls(**config)

    def get_compile_config(self):
        """Both optimizers and the other `compile` options: `.keras` files keep training state."""
        return {"d_optimizer": keras.optimizers.serialize(self.d_optimizer),
                "g_optimizer": keras.optimizers.serialize(self.g_optimizer),
                "loss": self.loss_name,
                **{option: getattr(self, option) for option in _COMPILE_OPTIONS}}

    def compile_from_config(self, config):
        """Compiles from `get_compile_config()`; the optimizers' state is loaded afterwards."""
        self.compile(d_optimizer=keras.optimizers.deserialize(config["d_optimizer"]),
                     g_optimizer=keras.optimizers.deserialize(config["g_optimizer"]),
                     loss=config["loss"],
                     # Files written before an option existed keep its default.
                     **{option: config[option] for option in _COMPILE_OPTIONS if option in config})


def _stream_seed(seed, stream, step, replica=None):
    """The stateless seed of update `step` of a noise `stream` on `replica` (default: the
    current one)."""
    if replica is None:
        replica = tf.distribute.get_replica_context().replica_id_in_sync_group
    key = tf.stack([tf.constant(seed, tf.int64), _STREAMS * tf.cast(step, tf.int64) + stream])
    return tf.random.experimental.stateless_fold_in(key, tf.cast(replica, tf.int64))


def _replica_loss(optimizer, loss):
    """The loss this replica differentiates: its share of the global batch's, scaled up by a
    `LossScaleOptimizer` under float16 (`scale_loss` is a no-op otherwise)."""
    # Each replica averages over its own share of the global batch, and the optimizer sums the
    # replicas' gradients: dividing by their number makes N replicas take the same step as one
    # device on the whole batch.
    return optimizer.scale_loss(loss / tf.distribute.get_strategy().num_replicas_in_sync)


def _apply_gradients(optimizer, tape, replica_loss, network):
    """Updates `network` with the gradient of `replica_loss`, which `tape` recorded.

    A step that float16's loss scaling skips (its scaled gradients were not finite) still
    counts in `optimizer.iterations`, which Keras leaves as it was: the counter keys the
    training noise, and `GAN.step` must count the batches trained, or checkpoints would name
    an earlier place in the data than the one reached and a resumed run would train batches
    again.
    """
    weights = network.trainable_weights
    skippable = isinstance(optimizer, keras.optimizers.LossScaleOptimizer)
    if skippable:
        counted = optimizer.iterations + 1  # computed now, before the update
    optimizer.apply_gradients(zip(tape.gradient(replica_loss, weights), weights))
    if skippable:
        optimizer.iterations.assign(counted)


def _unpack(data, num_classes):
    """`(samples, labels)` of a batch; labels are `None` for an unconditional GAN."""
    samples, labels = data, None
    if isinstance(data, (tuple, list)):
        samples, labels = data[0], data[1] if len(data) > 1 else None
    if num_classes and labels is None:
        raise KganError(f"this GAN is conditioned on {num_classes} classes: it trains on "
                        "(samples, labels) batches")
    if not num_classes and labels is not None:
        # At tracing, so once per compiled step function; Python shows the warning once.
        warnings.warn("this GAN is unconditional (num_classes=0): it trains on the samples of "
                      "(samples, labels) batches and ignores the labels", stacklevel=3)
        return samples, None
    return samples, None if labels is None else ops.cast(labels, "int32")


def _random_states(networks):
    """The networks' variables that are not weights: the seed generator states of random layers
    such as Dropout, which Keras' format leaves out."""
    weights = {id(weight) for network in networks for weight in network.weights}
    return [v for network in networks for v in network.variables if id(v) not in weights]
