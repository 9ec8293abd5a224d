"""Distribution strategies: choosing one, splitting a CPU into replicas, and the multi-worker loop.

`fit()` covers the default strategy and `MirroredStrategy` (several GPUs, or CPU replicas).
Under `MultiWorkerMirroredStrategy`, Keras 3.15's `fit()` fails (keras-team/keras#20585), so
`fit_multiworker` runs the same `train_step` in a loop of its own.
"""

import json
import os

import keras
import tensorflow as tf

from kgan.errors import KganError

STRATEGIES = ("auto", "default", "mirrored", "multiworker")


def split_cpu(replicas):
    """Splits the CPU into `replicas` logical devices, so `MirroredStrategy` can be tried on a
    machine without GPUs. Must run before TensorFlow initialises its devices.

    Raises:
        KganError: TensorFlow's devices are already initialised.
    """
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * replicas
        )
    except RuntimeError:
        raise KganError("--replicas must be set before TensorFlow starts (in a fresh process)") from None


def make_strategy(name="auto", replicas=None):
    """Returns the `tf.distribute` strategy for `name`.

    Args:
        name: `auto` (`MirroredStrategy` when more than one GPU is visible, else the default),
            `default`, `mirrored` (every GPU, or the CPU replicas of `replicas`) or `multiworker`
            (`MultiWorkerMirroredStrategy`, configured by the `TF_CONFIG` variable).
        replicas: on a machine without GPUs, split the CPU into this many replicas.
    """
    if name not in STRATEGIES:
        raise KganError(f"unknown strategy {name!r}; choose one of: {', '.join(STRATEGIES)}")
    gpus = tf.config.list_physical_devices("GPU")
    if replicas and replicas > 1 and not gpus:
        split_cpu(replicas)
    if name == "multiworker":
        if "TF_CONFIG" not in os.environ:
            raise KganError("--strategy multiworker needs the TF_CONFIG variable: the cluster's "
                            "workers and this process's task")
        return tf.distribute.MultiWorkerMirroredStrategy()
    if name == "mirrored" or (name == "auto" and len(gpus) > 1):
        devices = None if gpus else [d.name for d in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices)
    return tf.distribute.get_strategy()


def is_multiworker(strategy):
    """True for `MultiWorkerMirroredStrategy`."""
    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)


def is_chief():
    """True unless `TF_CONFIG` names this process a worker other than worker 0 of a cluster
    without a chief: only the chief writes run outputs."""
    config = json.loads(os.environ.get("TF_CONFIG", "{}"))
    task = config.get("task", {})
    if task.get("type") in (None, "chief"):
        return True
    return task.get("type") == "worker" and task.get("index", 0) == 0 and "chief" not in config.get(
        "cluster", {})


def worker_shard():
    """`(index, count)` of this worker among `TF_CONFIG`'s workers; `(0, 1)` without one."""
    config = json.loads(os.environ.get("TF_CONFIG", "{}"))
    cluster = config.get("cluster", {})
    order = [(kind, i) for kind in ("chief", "worker") for i in range(len(cluster.get(kind, [])))]
    task = config.get("task", {})
    if not order:
        return 0, 1
    return order.index((task.get("type"), task.get("index", 0))), len(order)


def fit_multiworker(gan, dataset, epochs, steps_per_epoch, initial_epoch, callbacks, strategy):
    """`gan.fit` for `MultiWorkerMirroredStrategy`: the GAN's `train_step` under `strategy.run`.

    Args:
        gan: a `kgan.GAN` built and compiled in `strategy.scope()`.
        dataset: this worker's shard of every global batch (`training_dataset(shard=...)`).
        epochs: the last epoch (exclusive), as in `fit`.
        steps_per_epoch: batches per epoch.
        initial_epoch: the first epoch.
        callbacks: Keras callbacks, or a `keras.callbacks.CallbackList` of them; every worker
            runs them (they read variables collectively), so non-chief workers must point them
            at throwaway folders.
        strategy: the `MultiWorkerMirroredStrategy`.
    """
    options = tf.data.Options()
    # Each worker already holds its own shard: no automatic sharding on top.
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.OFF
    iterator = iter(strategy.experimental_distribute_dataset(dataset.with_options(options)))

    @tf.function
    def train_step(iterator):
        strategy.run(gan.train_step, args=(next(iterator),))

    if not isinstance(callbacks, keras.callbacks.CallbackList):
        callbacks = keras.callbacks.CallbackList(
            callbacks, model=gan, epochs=epochs, steps=steps_per_epoch, verbose=0
        )
    gan.stop_training = False
    logs = {}
    callbacks.on_train_begin()
    for epoch in range(initial_epoch, epochs):
        gan.reset_metrics()
        callbacks.on_epoch_begin(epoch)
        for step in range(steps_per_epoch):
            callbacks.on_train_batch_begin(step)
            train_step(iterator)
            # Reading the trackers reduces them across all replicas of all workers.
            logs = {metric.name: float(metric.result()) for metric in gan.metrics}
            callbacks.on_train_batch_end(step, logs)
            if gan.stop_training:
                break
        callbacks.on_epoch_end(epoch, logs)
        if gan.stop_training:
            break
    callbacks.on_train_end(logs)
