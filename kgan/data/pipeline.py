"""The training input pipeline: an in-memory example table served as shuffled batches.

Examples are held in memory (decoded once, then cached as one array) and every epoch's order is a
stateless shuffle keyed by `(seed, epoch)`. A run resumed at batch `b` of epoch `e` therefore sees
exactly the batches the uninterrupted run saw, with no shuffle buffer to replay: skipping `b`
batches skips only their indices.
"""

import sys

import tensorflow as tf
from keras import ops

from kgan.errors import KganError


def to_model_range(batch):
    """Maps uint8 images to float32 in [-1, 1]; float samples pass through as float32."""
    if batch.dtype == tf.uint8:
        return tf.cast(batch, tf.float32) / 127.5 - 1.0
    return tf.cast(batch, tf.float32)


def to_uint8(images):
    """Maps generator output in [-1, 1] to uint8 pixels, clipping anything outside: the inverse
    of `to_model_range`. Written with `keras.ops`, so the sample grids and the exported `sample`
    signature share it."""
    scaled = (ops.cast(images, "float32") + 1.0) * 127.5
    return ops.cast(ops.clip(ops.round(scaled), 0, 255), "uint8")


def training_dataset(examples, batch_size, seed, start_epoch=0, start_batch=0, shard=(0, 1),
                     labels=None, num_batches=None):
    """Serves `examples` as a sequence of epochs of shuffled full batches, endless unless
    `num_batches` is given.

    Args:
        examples: an array `[n, ...]`, uint8 images or float samples (or that array as a
            tensor, which several pipelines can then share without copying it).
        batch_size: examples per batch; the last partial batch of an epoch is dropped, so every
            batch has the same static shape.
        seed: seeds the per-epoch shuffles.
        start_epoch: the first epoch to serve (a resumed run starts past 0).
        start_batch: the first batch of `start_epoch` to serve (a run resumed mid-epoch).
        shard: `(index, count)`: serve only slice `index` of `count` equal slices of every
            batch, for one worker of several; together the workers see exactly the batches a
            single process would.
        labels: the examples' integer labels `[n]`: batches are then `(samples, labels)`.
        num_batches: serve this many batches and end.

    Returns:
        `(dataset, steps_per_epoch)`: pass both to `fit()`.

    Raises:
        KganError: see `steps_per_epoch`.
    """
    n = len(examples)
    index, count = shard
    steps = steps_per_epoch(n, batch_size, count)
    per_worker = batch_size // count
    table = tf.convert_to_tensor(examples)
    label_table = None if labels is None else tf.cast(labels, tf.int32)

    # Plain TensorFlow functions: AutoGraph's conversion of them took 0.2 s of every pipeline
    # built, and they have no Python control flow on tensors to convert.
    @tf.autograph.experimental.do_not_convert
    def gather(indices):
        indices = indices[index * per_worker : (index + 1) * per_worker]  # this worker's slice
        samples = to_model_range(tf.gather(table, indices))
        return samples if label_table is None else (samples, tf.gather(label_table, indices))

    @tf.autograph.experimental.do_not_convert
    def epoch_order(epoch):
        order = tf.random.experimental.stateless_shuffle(
            tf.range(n), seed=tf.stack([tf.constant(seed, tf.int64), epoch])
        )
        return tf.data.Dataset.from_tensor_slices(order[: steps * batch_size])

    dataset = (
        # Epoch numbers without end; `counter` gives the same but traces a scan function.
        tf.data.Dataset.range(start_epoch, sys.maxsize)
        .flat_map(epoch_order)
        .batch(batch_size)
        .skip(start_batch)
        .take(-1 if num_batches is None else num_batches)
        .map(gather, num_parallel_calls=2)
        .prefetch(2)
    )
    # No autotuning: with it, destroying the iterator at the end of fit() waited 13 to 35 s for
    # a tf.data thread in 7 of 15 runs (py-spy: ~RootDataset::Iterator in ~LogicalThreadWrapper),
    # without it in none of 11; a gather of in-memory rows needs no tuning: two calls and two
    # batches ahead keep the step fed (scripts/RESULTS.md, "What surrounds the step").
    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.with_options(options), steps


def steps_per_epoch(num_examples, batch_size, workers=1):
    """The number of full batches in an epoch of `num_examples`.

    Raises:
        KganError: the batch is larger than the data set, or does not split over the workers.
    """
    if num_examples < batch_size:
        raise KganError(f"--batch-size {batch_size} is larger than the data set "
                        f"({num_examples} examples)")
    if batch_size % workers:
        raise KganError(f"--batch-size {batch_size} does not split evenly over {workers} workers")
    return num_examples // batch_size
