"""Throughput of the 64x64 DCGAN training step: kgan against two reference implementations.

In one run, on the same synthetic 64x64 data and the same networks (d2l 17.2's DCGAN) and batch:
- kgan: `kgan.GAN` from the `pokemon` preset (without DiffAugment and EMA), trained with `fit()`
  at the chosen precision;
- kgan-fp32: the same with `precision="fp32"`;
- keras-fp32: a plain Keras 3 GAN with a custom `train_step` (fake and real batches concatenated
  for the discriminator, as in the keras-io DCGAN guide), float32;
- d2l-eager: the d2l 17.2 loop, `update_D` / `update_G` with `tf.GradientTape`, run eagerly.
It also measures the real-image input pipeline alone (PNG decode, resize, cache, batch,
prefetch) and the exported generator's `sample` signature. After a warm-up the implementations
take turns, `--rounds` times `--steps` timed steps each, so that the machine's slow and fast
spells touch them alike; images/sec are over all rounds. A table goes to stdout and the numbers
to a JSON file.

Usage: python scripts/bench.py [--batch-size 256] [--steps 3] [--rounds 4] [--warmup 2]
           [--precision auto] [--jit off] [--impls kgan,kgan-fp32,keras-fp32,d2l-eager]
           [--pipeline-images 2048] [--deterministic] [--out bench.json]
"""

import argparse
import json
import os
import tempfile
import time

# kgan before keras: kgan starts TensorFlow as its users get it (oneDNN on, kgan.backend).
import kgan  # isort: skip
import keras
import numpy as np
import tensorflow as tf
from PIL import Image

from kgan.data import load_examples, training_dataset
from kgan.data.cache import CACHE_ENV
from kgan.errors import KganError, parse_names
from kgan.export import export_generator
from kgan.nets.batchnorm import FusedBatchNormalization
from kgan.nets.dcgan import dcgan64_networks

LATENT = 100
IMPLEMENTATIONS = ("kgan", "kgan-fp32", "keras-fp32", "d2l-eager")


class _BatchClock(keras.callbacks.Callback):
    """Records the time at the end of every batch of one `fit()` call."""

    def on_train_begin(self, logs=None):
        self.times = []

    def on_train_batch_end(self, batch, logs=None):
        float(logs["d_loss"])  # wait for the step to finish
        self.times.append(time.perf_counter())


def fit_runner(gan, images, batch_size):
    """A function `run(steps)` that trains `gan` with `fit()` for `steps` timed steps and
    returns their seconds; one more step before them pays for the `fit()` call's set-up."""
    dataset = tf.data.Dataset.from_tensor_slices(images).repeat().batch(batch_size, drop_remainder=True)
    dataset = dataset.prefetch(2)
    clock = _BatchClock()

    def run(steps):
        gan.fit(dataset, epochs=1, steps_per_epoch=steps + 1, callbacks=[clock], verbose=0)
        return clock.times[-1] - clock.times[0]

    return run


def kgan_runner(images, args, precision):
    """kgan's `pokemon` preset at `precision`, trained through `fit()`, without its moving
    average: the bare step the reference implementations take too."""
    preset = kgan.get_preset("pokemon").with_overrides(
        batch_size=args.batch_size, precision=precision, jit=args.jit, ema=0.0)
    gan = kgan.build_gan(preset, seed=0, steps_per_epoch=1, verbose=True)
    return fit_runner(gan, images, args.batch_size), gan


class KerasReferenceGAN(keras.Model):
    """The keras-io style GAN: one `train_step`, discriminator on real and fake concatenated."""

    def __init__(self, generator, discriminator):
        super().__init__()
        self.generator, self.discriminator = generator, discriminator
        self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)
        self.seed_generator = keras.random.SeedGenerator(0)

    def compile(self):
        super().compile(optimizer=None)
        self.d_optimizer = keras.optimizers.Adam(0.005, beta_1=0.5)
        self.g_optimizer = keras.optimizers.Adam(0.005, beta_1=0.5)
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)

    def train_step(self, real):
        batch = tf.shape(real)[0]
        z = keras.random.normal((batch, LATENT), seed=self.seed_generator)
        fake = self.generator(z, training=True)
        images = tf.concat([fake, real], axis=0)
        labels = tf.concat([tf.zeros((batch, 1)), tf.ones((batch, 1))], axis=0)
        with tf.GradientTape() as tape:
            d_loss = self.loss_fn(labels, self.discriminator(images, training=True))
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))
        z = keras.random.normal((batch, LATENT), seed=self.seed_generator)
        with tf.GradientTape() as tape:
            fake_logits = self.discriminator(self.generator(z, training=True), training=True)
            g_loss = self.loss_fn(tf.ones((batch, 1)), fake_logits)
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))
        return {"d_loss": d_loss, "g_loss": g_loss}


def _stock_layer(layer):
    """A fresh copy of `layer`, with Keras' own BatchNormalization for kgan's fused one."""
    cls = keras.layers.BatchNormalization if isinstance(layer, FusedBatchNormalization) else type(layer)
    return cls.from_config(layer.get_config())


def float32_networks():
    """d2l's 64x64 DCGAN pair in float32, made of stock Keras layers only."""
    keras.config.set_dtype_policy("float32")
    keras.utils.set_random_seed(0)
    return [keras.models.clone_model(network, clone_function=_stock_layer)
            for network in dcgan64_networks(LATENT, (64, 64, 3))]


def keras_runner(images, args):
    """The keras-io style float32 GAN, trained through `fit()`."""
    gan = KerasReferenceGAN(*float32_networks())
    gan.compile()
    return fit_runner(gan, images, args.batch_size)


def d2l_runner(images, args):
    """d2l 17.2's training loop (TensorFlow version), eager as in the book."""
    net_g, net_d = float32_networks()
    loss = keras.losses.BinaryCrossentropy(from_logits=True)
    opt_d = keras.optimizers.Adam(0.005, beta_1=0.5)
    opt_g = keras.optimizers.Adam(0.005, beta_1=0.5)

    def update_d(x, z):
        batch = x.shape[0]
        fake = net_g(z)
        with tf.GradientTape() as tape:
            real_y, fake_y = net_d(x), net_d(fake)
            loss_d = (loss(tf.ones((batch,)), tf.squeeze(real_y))
                      + loss(tf.zeros((batch,)), tf.squeeze(fake_y))) * batch / 2
        grads = tape.gradient(loss_d, net_d.trainable_variables)
        opt_d.apply_gradients(zip(grads, net_d.trainable_variables))
        return loss_d

    def update_g(z):
        batch = z.shape[0]
        with tf.GradientTape() as tape:
            fake_y = net_d(net_g(z))
            loss_g = loss(tf.ones((batch,)), tf.squeeze(fake_y)) * batch
        grads = tape.gradient(loss_g, net_g.trainable_variables)
        opt_g.apply_gradients(zip(grads, net_g.trainable_variables))
        return loss_g

    position = 0

    def step():
        nonlocal position
        start = position % (len(images) - args.batch_size)
        position += args.batch_size
        x = tf.constant(images[start : start + args.batch_size])
        z = tf.random.normal((args.batch_size, LATENT))
        update_d(x, z)
        float(update_g(z))

    def run(steps):
        step()  # as for fit(): the first step is not timed
        start = time.perf_counter()
        for _ in range(steps):
            step()
        return time.perf_counter() - start

    return run


def bench_pipeline(args):
    """The real-image path alone: PNG files -> decode, resize to 64x64, cache, batch, prefetch."""
    os.environ[CACHE_ENV] = "off"  # the decoding is what is timed
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as folder:
        for i in range(args.pipeline_images):
            Image.fromarray(rng.integers(0, 256, (96, 96, 3), dtype=np.uint8)).save(
                os.path.join(folder, f"{i:05d}.png"))
        start = time.perf_counter()
        examples = load_examples(f"folder:{folder}", (64, 64, 3))
        dataset, steps = training_dataset(examples, args.batch_size, seed=0)
        for _ in dataset.take(steps):
            pass
        return steps * args.batch_size / (time.perf_counter() - start)


def bench_export(gan, args):
    with tempfile.TemporaryDirectory() as folder:
        # The restored endpoint, unlike the bare signature, fills in the optional truncation;
        # the loaded object must stay referenced, or its variables go.
        exported = tf.saved_model.load(export_generator(gan, folder))
        sample = exported.sample
        n = tf.constant(args.batch_size)
        calls = args.warmup + args.rounds * args.steps
        for seed in range(calls):
            if seed == args.warmup:
                start = time.perf_counter()
            sample(num_images=n, seed=tf.constant(seed, tf.int64))["png_bytes"].numpy()
    return (calls - args.warmup) * args.batch_size / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--steps", type=int, default=3, help="timed steps per round")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--precision", default="auto", choices=kgan.precision.PRECISIONS)
    parser.add_argument("--jit", default="off", choices=["auto", "on", "off"])
    parser.add_argument("--impls", default=",".join(IMPLEMENTATIONS))
    parser.add_argument("--pipeline-images", type=int, default=2048)
    parser.add_argument("--deterministic", action="store_true",
                        help="enable TensorFlow's op determinism for the whole process (what "
                        "kgan fit --deterministic does); compare with a run without it")
    parser.add_argument("--out", default="bench.json")
    args = parser.parse_args()
    if args.deterministic:
        tf.config.experimental.enable_op_determinism()
    try:
        impls = parse_names(args.impls, IMPLEMENTATIONS, "implementation")
    except KganError as error:
        parser.error(str(error))
    images = np.random.default_rng(0).uniform(
        -1, 1, (max(4 * args.batch_size, 64), 64, 64, 3)).astype(np.float32)
    precision = kgan.precision.resolve(args.precision)
    results = {"batch_size": args.batch_size, "precision": precision, "jit": args.jit,
               "deterministic": args.deterministic, "images_per_sec": {}}

    runners, gan = {}, None
    if "kgan" in impls:
        runners["kgan"], gan = kgan_runner(images, args, precision)
    if "kgan-fp32" in impls:
        runners["kgan-fp32"], _ = kgan_runner(images, args, "fp32")
    if "keras-fp32" in impls:
        runners["keras-fp32"] = keras_runner(images, args)
    if "d2l-eager" in impls:
        runners["d2l-eager"] = d2l_runner(images, args)
    for run in runners.values():
        run(args.warmup)
    # Rounds take turns, so a slower or faster spell of the machine touches every
    # implementation alike.
    seconds = dict.fromkeys(runners, 0.0)
    for round_ in range(args.rounds):
        for name, run in runners.items():
            seconds[name] += run(args.steps)
        print(f"round {round_ + 1}/{args.rounds}: "
              + ", ".join(f"{name} {(round_ + 1) * args.steps * args.batch_size / s:.1f}"
                          for name, s in seconds.items()), flush=True)
    rates = results["images_per_sec"]
    for name, total in seconds.items():
        rates[name] = args.rounds * args.steps * args.batch_size / total
    if args.pipeline_images:
        rates["input-pipeline"] = bench_pipeline(args)
    if gan is not None:
        rates["export-sample"] = bench_export(gan, args)
    for kgan_name in ("kgan", "kgan-fp32"):
        for reference in ("keras-fp32", "d2l-eager"):
            if kgan_name in rates and reference in rates:
                results[f"{kgan_name}/{reference}"] = rates[kgan_name] / rates[reference]
    print(f"\nbatch {args.batch_size}, kgan precision {precision}, jit {args.jit}, "
          f"deterministic {args.deterministic}")
    print(f"{'what':<16}{'images/sec':>12}")
    for name, rate in rates.items():
        print(f"{name:<16}{rate:>12.1f}")
    for key, value in results.items():
        if "/" in key:
            print(f"{key:<24}{value:>6.2f}x")
    with open(args.out, "w") as f:
        json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
