"""Training runs: a GAN from a preset, data, callbacks and a run directory on disk.

The run directory's layout is `kgan.rundir`'s. `kgan fit` and user code call `fit` and `resume`
here.
"""

import dataclasses
import datetime
import functools
import gc
import importlib.util
import math
import os
import tempfile

import keras
import numpy as np
import tensorflow as tf

from kgan import callbacks as kcallbacks
from kgan import data, distribute, rundir
from kgan.data.pipeline import steps_per_epoch
from kgan.errors import KganError
from kgan.evaluate import MOMENT_SAMPLES, point_moments, real_samples
from kgan.files import copy_file, save_model
from kgan.nets.builder import build_gan
from kgan.presets import get_preset
from kgan.runconfig import Evaluation, RunConfig
from kgan.rundir import Position, RunDir


def _without_full_collections(function):
    """Runs `function` with the objects alive at its start left out of Python's garbage
    collections (`gc.freeze`), and puts them back afterwards.

    TensorFlow's and Keras' modules leave about 360,000 objects alive, and each full collection
    scans them all: 0.2 s, which fell once in a 13 s run on 2,000 images, in the middle of its
    final sample grid (scripts/RESULTS.md, "What surrounds the step"). Nothing is lost: objects
    that become garbage are freed as usual, and cycles among the frozen ones once `gc.unfreeze`
    returns them to the collector. A caller who froze the heap already keeps it as it is: the
    unfreezing is theirs.
    """

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        if gc.get_freeze_count():
            return function(*args, **kwargs)
        gc.freeze()
        try:
            return function(*args, **kwargs)
        finally:
            gc.unfreeze()

    return wrapper


@_without_full_collections
def fit(dataset=None, preset=None, run_dir=None, seed=0, data_dir=None, tensorboard=False,
        eval_every=None, eval_metric="swd", eval_samples=1024, strategy="auto", replicas=None,
        verbose=True, callbacks=(), **overrides):
    """Trains a new run and writes its run directory.

    Everything that can refuse the run (options, data, strategy) is checked before the
    directory is made. From then on `config.json` describes the run completely: a run killed
    at any moment continues with `resume`.

    Args:
        dataset: a dataset name, e.g. `gaussian`; defaults to the preset's own data set, or
            `gaussian` without a preset.
        preset: a preset name; defaults to the dataset's own.
        run_dir: the run directory; defaults to `runs/DATASET-TIMESTAMP`. It must not hold a run.
        seed: seeds the weights, the noise and the data order.
        data_dir: where the data set lives, for data that cannot be downloaded.
        tensorboard: also write losses, accuracies and sample grids to `RUN/tensorboard/`.
        eval_every: score the generator every this many thousand training images (kimg; 0:
            never) with `eval_metric` on `eval_samples` samples, keeping
            `checkpoints/best.keras` (see `Evaluation`); defaults to the preset's.
        eval_metric: an offline metric where lower is better: `swd`.
        eval_samples: how many real and generated samples each evaluation compares.
        strategy: `auto`, `default`, `mirrored` or `multiworker` (see `kgan.distribute`).
        replicas: split a GPU-less CPU into this many replicas (for `mirrored`).
        verbose: print progress and the final summary.
        callbacks: more Keras callbacks; they run before kgan's own, which save and evaluate.
        **overrides: preset fields to change (`epochs` or `kimg`, `batch_size`, `lr_d`,
            `lr_g`, `latent_dim`, `save_every`, `checkpoint_minutes`, `deterministic`,
            `precision`, ...); `None` keeps the preset's value.

    Returns:
        The trained `kgan.GAN`.

    Raises:
        KganError: bad options, missing data, an unusable run directory, or a non-finite loss.
    """
    if dataset is None:
        dataset = get_preset(preset).dataset if preset else "gaussian"
    preset = get_preset(preset or data.default_preset(dataset)).with_overrides(**overrides)
    if tensorboard and importlib.util.find_spec("tensorboard") is None:
        raise KganError("--tensorboard needs the tensorboard package: pip install 'kgan[tensorboard]'")
    evaluation = Evaluation(preset.eval_every if eval_every is None else eval_every, eval_metric,
                            eval_samples)
    config = RunConfig(dataset, preset, seed, data_dir, tensorboard, evaluation)
    strategy = distribute.make_strategy(strategy, replicas)
    examples = _load_examples(config, strategy)
    if preset.conditional:
        config = dataclasses.replace(config, classes=tuple(examples.class_names))
    run = RunDir(run_dir or _default_run_dir(dataset))
    if not distribute.is_multiworker(strategy) or distribute.is_chief():  # the chief writes
        run.create()
        run.write_config(config)
    return _train(run, config, strategy, examples, verbose=verbose, extra=callbacks)


@_without_full_collections
def resume(run_dir, epochs=None, strategy="auto", replicas=None, verbose=True, kimg=None):
    """Continues an interrupted run from its newest checkpoint, exactly where it stopped.

    Weights, both optimizers' state, the data order and the noise all continue as in an
    uninterrupted run, from a checkpoint saved after an epoch or mid-epoch. A run stopped
    before its first checkpoint starts again from the beginning.

    Args:
        run_dir: the run directory to continue.
        epochs: a new total number of epochs; defaults to the run's own.
        strategy: the distribution strategy, as in `fit`; it may differ from the first run's.
        replicas: split a GPU-less CPU into this many replicas.
        verbose: print progress and the final summary.
        kimg: a new training budget in thousands of images, instead of `epochs`.

    Returns:
        The trained `kgan.GAN`.
    """
    run = RunDir(run_dir)
    original = config = run.read_config()
    if epochs is not None or kimg is not None:
        config = dataclasses.replace(config, preset=config.preset.with_overrides(
            epochs=epochs, kimg=kimg))
    strategy = distribute.make_strategy(strategy, replicas)
    examples = _load_examples(config, strategy)
    batch_size = config.preset.batch_size
    config = config.in_kimg(steps_per_epoch(len(examples), batch_size) * batch_size)
    if config != original:
        run.write_config(config)
    run.remove_partial_files()
    checkpoint = run.latest_checkpoint()
    if verbose:
        print(f"Resuming {run_dir} at epoch {checkpoint.position.epoch + 1}, batch "
              f"{checkpoint.position.batch} from {checkpoint.path}" if checkpoint else
              f"{run_dir} has no checkpoint yet: starting it from the beginning")
    return _train(run, config, strategy, examples, checkpoint, verbose=verbose)


def _load_examples(config, strategy):
    """The run's `Examples` in memory. Refuses a batch the data or the workers cannot serve,
    a conditional run on data without labels, and a resumed one whose classes changed."""
    preset, dataset = config.preset, config.dataset
    if not preset.conditional:  # the samples alone
        examples = data.Examples(data.load_examples(dataset, preset.sample_shape,
                                                    config.data_dir))
    else:
        examples = data.load_data(dataset, preset.sample_shape, config.data_dir)
        if examples.labels is None:
            raise KganError(f"dataset {dataset!r} has no class labels, which a conditional GAN "
                            "needs (an image folder gives them as one subfolder per class, with "
                            "no image directly inside it)")
        if config.classes is not None and tuple(examples.class_names) != config.classes:
            raise KganError(f"the classes of {dataset!r} are not the run's "
                            f"({', '.join(config.classes)})")
    workers = distribute.worker_shard()[1] if distribute.is_multiworker(strategy) else 1
    steps_per_epoch(len(examples), preset.batch_size, workers)
    return examples


def _train(run, config, strategy, examples, checkpoint=None, verbose=True, extra=()):
    if distribute.is_multiworker(strategy) and not distribute.is_chief():
        # Every worker runs the callbacks (they read variables collectively); the others' outputs
        # go to a folder that is thrown away.
        with tempfile.TemporaryDirectory(prefix="kgan-worker-") as scratch:
            return _train_with(RunDir(scratch), config, strategy, examples, checkpoint, False,
                               extra)
    return _train_with(run, config, strategy, examples, checkpoint, verbose, extra)


def _train_with(run, config, strategy, examples, checkpoint, verbose, extra):
    preset, seed = config.preset, config.seed
    if preset.deterministic:
        tf.config.experimental.enable_op_determinism()
    start = checkpoint.position if checkpoint else Position(0)
    multiworker = distribute.is_multiworker(strategy)
    # One tensor of the examples serves every pipeline of the run.
    table = tf.convert_to_tensor(examples.values)
    labels = examples.labels if preset.conditional else None

    def dataset_from(epoch, batch, num_batches):
        return data.training_dataset(
            table, preset.batch_size, seed, start_epoch=epoch, start_batch=batch,
            shard=distribute.worker_shard() if multiworker else (0, 1), labels=labels,
            num_batches=num_batches)[0]

    per_epoch = steps_per_epoch(len(examples), preset.batch_size)
    # Networks, optimizers and metrics must be created in the strategy's scope.
    with strategy.scope():
        if checkpoint is None:
            gan = build_gan(preset, seed, per_epoch, verbose=verbose,
                                   class_names=examples.class_names)
        else:
            gan = keras.saving.load_model(checkpoint.path)
    if verbose and strategy.num_replicas_in_sync > 1:
        print(f"Training on {strategy.num_replicas_in_sync} replicas ({type(strategy).__name__})")
    points = examples.values.ndim == 2
    tensorboard = config.tensorboard
    saves = kcallbacks.Cadence(preset.save_every, preset.batch_size)
    stop = kcallbacks.StopOnNaN()
    # Progress first: its examples/s then times the training, not the saving that follows.
    callbacks = [kcallbacks.Progress(preset.batch_size)] if verbose else []
    callbacks += [*extra,
        stop,
        kcallbacks.SampleGrid(
            run.path(rundir.SAMPLES),
            saves,
            num_samples=1000 if points else 64,
            seed=seed,
            real=examples.values if points else None,
            summary_dir=run.path(rundir.TENSORBOARD, "samples") if tensorboard else None,
        ),
        kcallbacks.LossPlot(run.path(rundir.LOSSES), saves, csv_path=run.path(rundir.HISTORY)),
    ]
    if tensorboard:
        callbacks.append(keras.callbacks.TensorBoard(run.path(rundir.TENSORBOARD)))
    evaluation = config.evaluation
    evaluations = kcallbacks.Cadence(evaluation.every, preset.batch_size)
    start_step, total_steps = start.step(per_epoch), preset.total_steps(per_epoch)
    # A resumed run trains the steps after `start_step` again: their records go.
    records = rundir.records_up_to(run.path(rundir.METRICS), start_step)
    # A run that ends before its next evaluation is due draws no real samples for one.
    if evaluations.crossed(start_step, total_steps):
        real = real_samples(examples, evaluation.samples, seed)
        callbacks.append(kcallbacks.Evaluation(
            run, real.values, evaluations, evaluation.metric, seed, records=records,
            real_labels=real.labels if preset.conditional else None))
    # Last: a checkpoint after an epoch means every output of that epoch is written.
    callbacks.append(kcallbacks.Checkpoint(
        run, saves, per_epoch, minutes=preset.checkpoint_minutes, start=start,
        metric_state=rundir.metric_state(checkpoint.path) if checkpoint else None))
    _fit_from(gan, dataset_from, total_steps, per_epoch, start, callbacks, strategy)
    if stop.reason:
        raise KganError(
            f"training stopped: {stop.reason}; the last good checkpoint stays in "
            f"{run.checkpoint_dir}"
        )
    latest = run.latest_checkpoint()
    if latest and latest.position == Position.of_step(gan.step, per_epoch):
        # The end of training was just checkpointed: the same bytes, without a second save.
        copy_file(latest.path, run.path(rundir.MODEL))
    else:
        save_model(gan, run.path(rundir.MODEL))
    if verbose:
        if points and gan.conditional:
            print(f"Generated ({MOMENT_SAMPLES:,} points per class) against the data:")
            for label, name in enumerate(gan.class_names):
                moments = point_moments(gan, examples.values[examples.labels == label], seed,
                                        label)
                print(f"  {name:<12} mean error {moments['mean_error']:.3f}  covariance "
                      f"relative error {moments['cov_error']:.3f}")
        elif points:
            _print_moments(point_moments(gan, examples.values, seed))
        print(f"Run written to {run.root}")
    return gan


def _fit_from(gan, dataset_from, total_steps, per_epoch, start, callbacks, strategy):
    """Trains `gan` from `start` to step `total_steps` with one set of callbacks.

    Keras' `fit` cannot begin or end part-way into an epoch, so a run resumed mid-epoch trains
    the rest of that epoch in one `fit` call, the whole epochs in another, and a budget that
    ends mid-epoch (`kimg`) the last part in a third. All report to the same callbacks, which
    see the run's total epochs and each call's own number of steps.

    Args:
        gan: the compiled GAN.
        dataset_from: `(epoch, batch, num_batches) -> tf.data.Dataset` of that many batches
            from that position on.
        total_steps: the step to train to.
        per_epoch: batches in a whole epoch.
        start: the `Position` to start from.
        callbacks: Keras callbacks.
        strategy: the distribution strategy (`MultiWorkerMirroredStrategy` needs kgan's loop).
    """
    epochs = math.ceil(total_steps / per_epoch)
    for first, last, skip, steps in _phases(start, total_steps, per_epoch):
        callback_list = keras.callbacks.CallbackList(callbacks, add_history=True, model=gan,
                                                     epochs=epochs, steps=steps)
        # Exactly the call's batches (see `training_dataset`'s `num_batches`).
        dataset = dataset_from(first, skip, (last - first) * steps)
        if distribute.is_multiworker(strategy):
            distribute.fit_multiworker(gan, dataset, last, steps, first, callback_list, strategy)
        else:
            gan.fit(dataset, epochs=last, steps_per_epoch=steps,
                    initial_epoch=first, callbacks=callback_list,
                    shuffle=False,  # the pipeline shuffles, keyed by epoch
                    verbose=0)
        if gan.stop_training:
            return


def _phases(start, total_steps, per_epoch):
    """The `fit` calls from `start` to step `total_steps`, as `(first epoch, last epoch
    (exclusive), batches to skip in the first, steps per epoch)`: the rest of an epoch begun
    before, the whole epochs, and a last epoch cut short."""
    phases = []
    epoch, skip = start.epoch, start.batch
    if skip and start.step(per_epoch) < total_steps:
        phases.append((epoch, epoch + 1, skip,
                       min(per_epoch, total_steps - epoch * per_epoch) - skip))
        epoch += 1
    whole_epochs = total_steps // per_epoch
    if epoch < whole_epochs:
        phases.append((epoch, whole_epochs, 0, per_epoch))
        epoch = whole_epochs
    rest = total_steps - epoch * per_epoch
    if rest > 0:
        phases.append((epoch, epoch + 1, 0, rest))
    return phases


def _default_run_dir(dataset):
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    return os.path.join("runs", f"{dataset.split(':')[0]}-{stamp}")


def _print_moments(moments):
    def fmt(values):
        return np.array2string(np.asarray(values), precision=3, suppress_small=True)

    print(f"Generated ({MOMENT_SAMPLES:,} points) against the data:")
    print(f"  mean        generated {fmt(moments['fake_mean'])}  data {fmt(moments['real_mean'])}"
          f"  error {moments['mean_error']:.3f}")
    print(f"  covariance  generated {fmt(moments['fake_cov']).replace(chr(10), '')}"
          f"  data {fmt(moments['real_cov']).replace(chr(10), '')}"
          f"  relative error {moments['cov_error']:.3f}")
