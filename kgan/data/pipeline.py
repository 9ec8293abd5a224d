"""The training input pipeline: an in-memory example table served as shuffled batches.

Examples are held in memory (decoded once, then cached as one array) and every epoch's order is a
stateless shuffle keyed by `(seed, epoch)`. A run resumed at epoch `e` therefore sees exactly the
batches the uninterrupted run saw, with no shuffle buffer to replay.
"""

import tensorflow as tf

from kgan.errors import KganError


def to_model_range(batch):
    """Maps uint8 images to float32 in [-1, 1]; float samples pass through as float32."""
    if batch.dtype == tf.uint8:
        return tf.cast(batch, tf.float32) / 127.5 - 1.0
    return tf.cast(batch, tf.float32)


def training_dataset(examples, batch_size, seed, start_epoch=0, shard=(0, 1)):
    """Serves `examples` as an endless sequence of epochs of shuffled full batches.

    Args:
        examples: an array `[n, ...]`, uint8 images or float samples.
        batch_size: examples per batch; the last partial batch of an epoch is dropped, so every
            batch has the same static shape.
        seed: seeds the per-epoch shuffles.
        start_epoch: the first epoch to serve (a resumed run starts past 0).
        shard: `(index, count)`: serve only slice `index` of `count` equal slices of every
            batch, for one worker of several; together the workers see exactly the batches a
            single process would.

    Returns:
        `(dataset, steps_per_epoch)`: pass both to `fit()`.

    Raises:
        KganError: the batch is larger than the data set.
    """
    n = len(examples)
    steps_per_epoch = n // batch_size
    if steps_per_epoch == 0:
        raise KganError(f"--batch-size {batch_size} is larger than the data set ({n} examples)")
    index, count = shard
    if batch_size % count:
        raise KganError(f"--batch-size {batch_size} does not split evenly over {count} workers")
    per_worker = batch_size // count
    table = tf.constant(examples)

    def epoch_order(epoch):
        order = tf.random.experimental.stateless_shuffle(
            tf.range(n), seed=tf.stack([tf.constant(seed, tf.int64), epoch])
        )
        return tf.data.Dataset.from_tensor_slices(order[: steps_per_epoch * batch_size])

    dataset = (
        tf.data.Dataset.counter(start_epoch)
        .flat_map(epoch_order)
        .batch(batch_size)
        .map(lambda indices: indices[index * per_worker : (index + 1) * per_worker])
        .map(lambda indices: to_model_range(tf.gather(table, indices)), tf.data.AUTOTUNE)
        .prefetch(tf.data.AUTOTUNE)
    )
    return dataset, steps_per_epoch
