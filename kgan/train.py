"""Training runs: a GAN from a preset, data, callbacks and a run directory on disk.

A run directory holds `config.json` (everything needed to rebuild the run), `checkpoints/`,
`history.csv`, `losses.png`, `samples/` and, when training ends, `model.keras`. `kgan fit` and
user code call `fit` and `resume` here.
"""

import datetime
import importlib.util
import json
import os
import tempfile

import keras
import numpy as np

from kgan import callbacks as kcallbacks
from kgan import data, distribute
from kgan.errors import KganError
from kgan.evaluate import OFFLINE_METRICS, real_samples
from kgan.files import atomic_path, save_model
from kgan.metrics import moment_errors
from kgan.presets import Preset, get_preset

CONFIG_FILE = "config.json"
MODEL_FILE = "model.keras"
HISTORY_FILE = "history.csv"
# How many generated points the end-of-run summary of a 2D run compares with the data.
SUMMARY_SAMPLES = 100_000


def fit(dataset="gaussian", preset=None, run_dir=None, seed=0, data_dir=None, tensorboard=False,
        eval_every=0, eval_metric="swd", eval_samples=1024, strategy="auto", replicas=None,
        verbose=True, **overrides):
    """Trains a new run and writes its run directory.

    Args:
        dataset: a dataset name, e.g. `gaussian`.
        preset: a preset name; defaults to the dataset's own.
        run_dir: the run directory; defaults to `runs/DATASET-TIMESTAMP`. It must not hold a run.
        seed: seeds the weights, the noise and the data order.
        data_dir: where the data set lives, for data that cannot be downloaded.
        tensorboard: also write losses, accuracies and sample grids to `RUN/tensorboard/`.
        eval_every: score the generator every this many epochs (0: never) with `eval_metric`
            on `eval_samples` samples, keeping `checkpoints/best.keras` (see `Evaluation`).
        eval_metric: an offline metric where lower is better: `swd`.
        eval_samples: how many real and generated samples each evaluation compares.
        strategy: `auto`, `default`, `mirrored` or `multiworker` (see `kgan.distribute`).
        replicas: split a GPU-less CPU into this many replicas (for `mirrored`).
        verbose: print progress and the final summary.
        **overrides: preset fields to change (`epochs`, `batch_size`, `lr_d`, `lr_g`,
            `latent_dim`, `save_every`, `sync_batchnorm`, `precision`); `None` keeps the
            preset's value.

    Returns:
        The trained `kgan.GAN`.

    Raises:
        KganError: bad options, missing data, an unusable run directory, or a non-finite loss.
    """
    preset = get_preset(preset or data.default_preset(dataset)).with_overrides(**overrides)
    _check_preset(preset)
    if eval_every < 0 or eval_samples < 2:
        raise KganError("--eval-every must be 0 or more and --eval-samples at least 2")
    if eval_metric not in OFFLINE_METRICS:
        raise KganError(f"--eval-metric must be one of {', '.join(OFFLINE_METRICS)} "
                        f"(got {eval_metric!r})")
    if tensorboard and importlib.util.find_spec("tensorboard") is None:
        raise KganError("--tensorboard needs the tensorboard package: pip install 'kgan[tensorboard]'")
    run_dir = run_dir or _default_run_dir(dataset)
    config = {
        "dataset": dataset,
        "data_dir": data_dir,
        "seed": seed,
        "tensorboard": tensorboard,
        "evaluation": {"every": eval_every, "metric": eval_metric, "samples": eval_samples},
        "preset": preset.get_config(),
    }
    if strategy != "multiworker" or distribute.is_chief():  # only the chief writes the run
        _make_run_dir(run_dir)
        _write_config(run_dir, config)
    return _train(run_dir, config, strategy, replicas, verbose=verbose)


def resume(run_dir, epochs=None, strategy="auto", replicas=None, verbose=True):
    """Continues an interrupted run from its newest checkpoint, exactly where it stopped.

    Weights, both optimizers' state, the data order and the noise all continue as in an
    uninterrupted run.

    Args:
        run_dir: the run directory to continue.
        epochs: a new total number of epochs; defaults to the run's own.
        strategy: the distribution strategy, as in `fit`; it may differ from the first run's.
        replicas: split a GPU-less CPU into this many replicas.
        verbose: print progress and the final summary.

    Returns:
        The trained `kgan.GAN`.
    """
    config = read_config(run_dir)
    if epochs is not None:
        config["preset"]["epochs"] = epochs
        _check_preset(Preset.from_config(config["preset"]))
        _write_config(run_dir, config)
    checkpoints = kcallbacks.list_checkpoints(os.path.join(run_dir, "checkpoints"))
    if not checkpoints:
        raise KganError(f"{run_dir} has no checkpoint to resume from (checkpoints/ is empty)")
    path, epoch = checkpoints[-1]
    if verbose:
        print(f"Resuming {run_dir} after epoch {epoch} from {path}")
    return _train(run_dir, config, strategy, replicas, checkpoint=path, initial_epoch=epoch,
                  verbose=verbose)


def read_config(run_dir):
    """Reads a run directory's `config.json`; a missing or broken one is a `KganError`."""
    path = os.path.join(run_dir, CONFIG_FILE)
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        raise KganError(f"{run_dir} is not a kgan run directory (no {CONFIG_FILE})") from None
    except (OSError, ValueError) as error:
        raise KganError(f"cannot read {path}: {error}") from None


def _train(run_dir, config, strategy_name, replicas, checkpoint=None, initial_epoch=0,
           verbose=True):
    strategy = distribute.make_strategy(strategy_name, replicas)
    if distribute.is_multiworker(strategy) and not distribute.is_chief():
        # Every worker runs the callbacks (they read variables collectively); the others' outputs
        # go to a folder that is thrown away.
        with tempfile.TemporaryDirectory(prefix="kgan-worker-") as scratch:
            return _train_with(scratch, config, strategy, checkpoint, initial_epoch, False)
    return _train_with(run_dir, config, strategy, checkpoint, initial_epoch, verbose)


def _train_with(run_dir, config, strategy, checkpoint, initial_epoch, verbose):
    preset = Preset.from_config(config["preset"])
    seed = config["seed"]
    multiworker = distribute.is_multiworker(strategy)
    examples = data.load_examples(config["dataset"], preset.sample_shape, config["data_dir"])
    dataset, steps_per_epoch = data.training_dataset(
        examples, preset.batch_size, seed, start_epoch=initial_epoch,
        shard=distribute.worker_shard() if multiworker else (0, 1),
    )
    # Networks, optimizers and metrics must be created in the strategy's scope.
    with strategy.scope():
        if checkpoint is None:
            gan = preset.build_gan(seed, steps_per_epoch, verbose=verbose)
        else:
            gan = keras.saving.load_model(checkpoint)
    if verbose and strategy.num_replicas_in_sync > 1:
        print(f"Training on {strategy.num_replicas_in_sync} replicas ({type(strategy).__name__})")
    points = examples.ndim == 2
    tensorboard = config.get("tensorboard", False)
    stop = kcallbacks.StopOnNaN()
    # Progress first: its examples/s then times the training, not the saving that follows.
    callbacks = [kcallbacks.Progress(preset.batch_size)] if verbose else []
    callbacks += [
        stop,
        kcallbacks.SampleGrid(
            os.path.join(run_dir, "samples"),
            num_samples=1000 if points else 64,
            seed=seed,
            every=preset.save_every,
            real=examples if points else None,
            summary_dir=os.path.join(run_dir, "tensorboard", "samples") if tensorboard else None,
        ),
        kcallbacks.LossPlot(
            os.path.join(run_dir, "losses.png"),
            csv_path=os.path.join(run_dir, HISTORY_FILE),
            every=preset.save_every,
        ),
        kcallbacks.Checkpoint(os.path.join(run_dir, "checkpoints"), every=preset.save_every),
    ]
    if tensorboard:
        callbacks.append(keras.callbacks.TensorBoard(os.path.join(run_dir, "tensorboard")))
    evaluation = config.get("evaluation") or {"every": 0}
    if evaluation["every"]:
        real = real_samples(examples, evaluation["samples"], seed)
        callbacks.append(kcallbacks.Evaluation(run_dir, real, evaluation["metric"],
                                               evaluation["every"], seed))
    if multiworker:
        distribute.fit_multiworker(gan, dataset, preset.epochs, steps_per_epoch, initial_epoch,
                                   callbacks, strategy)
    else:
        gan.fit(
            dataset,
            epochs=preset.epochs,
            steps_per_epoch=steps_per_epoch,
            initial_epoch=initial_epoch,
            callbacks=callbacks,
            shuffle=False,  # the pipeline shuffles, keyed by epoch
            verbose=0,
        )
    if stop.reason:
        raise KganError(
            f"training stopped: {stop.reason}; the last good checkpoint stays in "
            f"{os.path.join(run_dir, 'checkpoints')}"
        )
    save_model(gan, os.path.join(run_dir, MODEL_FILE))
    if verbose:
        if points:
            _print_moments(moment_errors(examples, gan.generate(SUMMARY_SAMPLES, seed=seed)))
        print(f"Run written to {run_dir}")
    return gan


def _check_preset(preset):
    for field in ("epochs", "batch_size", "latent_dim", "save_every"):
        if getattr(preset, field) < 1:
            raise KganError(f"{field} must be at least 1 (got {getattr(preset, field)})")
    for field in ("lr_d", "lr_g"):
        if not getattr(preset, field) > 0:
            raise KganError(f"{field} must be positive (got {getattr(preset, field)})")


def _default_run_dir(dataset):
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    return os.path.join("runs", f"{dataset.split(':')[0]}-{stamp}")


def _make_run_dir(run_dir):
    if os.path.exists(os.path.join(run_dir, CONFIG_FILE)):
        raise KganError(
            f"{run_dir} already holds a run; continue it with --resume {run_dir} "
            "or choose another --run-dir"
        )
    try:
        os.makedirs(run_dir, exist_ok=True)
    except OSError as error:
        raise KganError(f"cannot create run directory {run_dir}: {error.strerror}") from None
    if not os.access(run_dir, os.W_OK):
        raise KganError(f"cannot write to run directory {run_dir}")


def _write_config(run_dir, config):
    path = os.path.join(run_dir, CONFIG_FILE)
    try:
        with atomic_path(path) as tmp, open(tmp, "w") as f:
            json.dump(config, f, indent=2)
    except OSError as error:
        raise KganError(f"cannot write {path}: {error.strerror}") from None


def _print_moments(moments):
    def fmt(values):
        return np.array2string(np.asarray(values), precision=3, suppress_small=True)

    print(f"Generated ({SUMMARY_SAMPLES:,} points) against the data:")
    print(f"  mean        generated {fmt(moments['fake_mean'])}  data {fmt(moments['real_mean'])}"
          f"  error {moments['mean_error']:.3f}")
    print(f"  covariance  generated {fmt(moments['fake_cov']).replace(chr(10), '')}"
          f"  data {fmt(moments['real_cov']).replace(chr(10), '')}"
          f"  relative error {moments['cov_error']:.3f}")
