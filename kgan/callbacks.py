"""Keras callbacks for GAN runs: sample pictures, loss plots, checkpoints, NaN stops, progress."""

import glob
import math
import os
import sys
import time

import keras
import numpy as np
import tensorflow as tf

from kgan import plots
from kgan.evaluate import compute_metrics
from kgan.files import save_model
from kgan.latents import grid_inputs, label_batch, latent_batch
from kgan.rundir import (
    METRICS,
    Position,
    RunDir,
    append_record,
    read_history,
    write_history,
)


class Cadence:
    """When work is due, counted in training images like stylegan2-ada's ticks: every
    `every_kimg` thousand images (0: never), whatever the data set's size.

    The count is the generator's steps times the global batch, so a resumed run keeps the
    cadence of the run it continues.

    Args:
        every_kimg: thousands of images between two due points; 0: never due.
        batch_size: images per step (the global batch).
    """

    def __init__(self, every_kimg, batch_size):
        self.every_kimg = every_kimg
        self.batch_size = batch_size

    def crossed(self, step_before, step_after):
        """True when a due point lies after step `step_before` and at or before `step_after`."""
        if not self.every_kimg:
            return False
        every = 1000.0 * self.every_kimg
        return (math.floor(step_after * self.batch_size / every)
                > math.floor(step_before * self.batch_size / every))

    def due(self, step):
        """True when step `step` (counting from 1) reaches a due point."""
        return self.crossed(step - 1, step)


class StepCallback(keras.callbacks.Callback):
    """A callback that knows the training step after each batch without reading the step
    counter off the device at every batch (three callbacks doing so cost about 0.1 s per
    300 steps: scripts/RESULTS.md, "What surrounds the step").

    The counter is read once as each `fit()` call begins; within the call every epoch has
    `params["steps"]` batches and every batch is one generator update. Subclasses that
    override `on_train_begin` or `on_epoch_begin` call this class's first.
    """

    def on_train_begin(self, logs=None):
        self._call_start, self._first_epoch, self._epoch_start = self.model.step, None, None

    def on_epoch_begin(self, epoch, logs=None):
        if self._first_epoch is None:
            self._first_epoch = epoch
        self._epoch_start = self._call_start + (epoch - self._first_epoch) * self.params["steps"]

    def step_after(self, batch):
        """The step count once batch `batch` (counting from 0 in the epoch) has trained."""
        return self._epoch_start + batch + 1


# Below this share of the data's diversity, `Evaluation` warns of mode collapse. Healthy runs
# measured 0.58 and more, collapsed ones 0.10 and less (scripts/RESULTS.md, "Conditional GANs on
# real labelled images"), where DiffAugment, the mode-seeking term and conditional BatchNorm
# kept conditional runs on a small set varied (0.77 to 1.08 of the data's diversity within a
# class).
COLLAPSE_RATIO = 0.5
COLLAPSE_ADVICE = {False: "On a small data set, try --diffaugment.",
                   True: "Try --mode-seeking 0.3, --class-input batchnorm (if the run concatenates "
                         "its class embedding), or --diffaugment on a small data set."}


def _last_epoch(epoch, params):
    """True at the run's last epoch (`epoch` counts from 0)."""
    return epoch + 1 == params.get("epochs")


class SampleGrid(StepCallback):
    """Saves the generator's output for one fixed latent batch as `DIR/img-NNNNNNNNN.png`,
    named by the training images seen.

    The batch is drawn once from `seed`, so successive pictures show the same latent points
    evolving; after training they are joined into `DIR/animation.gif`. Images are tiled into a
    grid; 2D points are drawn as a scatter against `real`.

    A conditional GAN's image grid has one row per class (at most 10, spread over the classes)
    and the same latent vector down each column (`kgan.latents.grid_inputs`): the label steers
    the content, the noise the style. Its scatter colours the points by class, the classes
    in turn.

    Args:
        directory: where the pictures go.
        every: a `Cadence`; the end of training is always saved.
        num_samples: the size of the latent batch (64 suits an 8x8 grid; 1,000 a scatter); a
            conditional grid has `sqrt(num_samples)` columns.
        seed: seeds the latent batch.
        real: real 2D points for the scatter.
        summary_dir: also write image grids as TensorBoard image summaries here.
    """

    def __init__(self, directory, every, num_samples=64, seed=0, real=None, summary_dir=None):
        super().__init__()
        self.directory = directory
        self.every = every
        self.num_samples = num_samples
        self.seed = seed
        self.real = real
        self.summary_dir = summary_dir
        self._saved_step = None

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        os.makedirs(self.directory, exist_ok=True)
        model = self.model
        self.labels, self.columns = None, None
        if not model.conditional:
            self.inputs = latent_batch(self.num_samples, model.latent_dim, self.seed)
        elif len(model.sample_shape) == 1:
            labels = label_batch(self.num_samples, model.num_classes)
            self.inputs = [latent_batch(self.num_samples, model.latent_dim, self.seed), labels]
            self.labels = labels.numpy()
        else:
            self.columns = math.isqrt(self.num_samples)
            z, labels = grid_inputs(model.latent_dim, model.num_classes, self.columns, self.seed)
            self.inputs = [tf.constant(z), tf.constant(labels)]
        self._writer = tf.summary.create_file_writer(self.summary_dir) if self.summary_dir else None

    def on_train_batch_end(self, batch, logs=None):
        step = self.step_after(batch)
        if self.every.due(step):
            self._save(step)

    def on_epoch_end(self, epoch, logs=None):
        step = self.model.step
        if _last_epoch(epoch, self.params) and step != self._saved_step:
            self._save(step)

    def _save(self, step):
        self._saved_step = step
        images = step * self.every.batch_size
        generator = self.model.sampling_generator()
        samples = keras.ops.convert_to_numpy(generator(self.inputs, training=False))
        path = os.path.join(self.directory, f"img-{images:09d}.png")
        plots.save_samples(samples, path, real=self.real, title=f"{images / 1000:g} kimg",
                           columns=self.columns, labels=self.labels,
                           class_names=self.model.class_names)
        if self._writer is not None and samples.ndim == 4:
            with self._writer.as_default():
                grid = plots.image_grid(samples, self.columns)
                tf.summary.image("samples", grid[None], step=step)
            self._writer.flush()

    def on_train_end(self, logs=None):
        frames = sorted(glob.glob(os.path.join(self.directory, "img-*.png")))
        if frames:
            plots.save_animation(frames, os.path.join(self.directory, "animation.gif"))


class LossPlot(keras.callbacks.Callback):
    """Keeps the per-epoch metrics as a CSV table and draws the loss and accuracy curves.

    With `csv_path`, the table is also the memory of a resumed run: at the first epoch the
    rows of earlier epochs are read back (rows at or past it, trained again now, are dropped).

    Args:
        path: the PNG file for the curves.
        every: a `Cadence`: redraw at the end of an epoch that reached a due point, and at
            the end of training.
        csv_path: the CSV file, one row per epoch (`epoch` counts from 0, as in Keras).
    """

    def __init__(self, path, every, csv_path=None):
        super().__init__()
        self.path = path
        self.every = every
        self.csv_path = csv_path
        self.history = None
        self._drawn_step = None

    def on_epoch_begin(self, epoch, logs=None):
        if self.history is None:
            self.history = read_history(self.csv_path, epoch) if self.csv_path else {}
        if self._drawn_step is None:
            self._drawn_step = self.model.step

    def on_epoch_end(self, epoch, logs=None):
        logs = {name: float(value) for name, value in (logs or {}).items()}
        for name, value in logs.items():
            self.history.setdefault(name, []).append(value)
        if self.csv_path:
            write_history(self.csv_path, self.history)
        step = self.model.step
        if self.every.crossed(self._drawn_step, step) or _last_epoch(epoch, self.params):
            plots.save_loss_plot(self.history, self.path)
            self._drawn_step = step


def _all_finite(values):
    return all(np.all(np.isfinite(v)) for v in values)


class Checkpoint(StepCallback):
    """Saves the whole GAN (networks, optimizers, noise seed) into the run's `checkpoints/`.

    It saves at the due points of `every` and at the end of training, and with `minutes` also
    whenever that much time has passed since the last save, so that a killed run loses at most
    `minutes` of work. A save inside an epoch is a mid-epoch checkpoint.
    Files are written under a temporary name and renamed, so a crash never leaves a broken
    latest checkpoint. Nothing is saved while the logs or weights are not finite: the last good
    checkpoint stays. Only the newest `keep` checkpoints are kept.

    A run resumed mid-epoch passes where it starts and the metrics' running state saved there;
    the state is restored as that epoch begins, so the epoch logs the means of all its batches.

    Args:
        run: the run directory (a path or a `kgan.rundir.RunDir`); files go to its
            `checkpoints/`.
        every: a `Cadence`.
        steps_per_epoch: batches in a whole epoch, which turns a step count into a `Position`.
        minutes: also save every this many minutes (0: only at the due points).
        start: the `Position` training starts from (default: the beginning).
        metric_state: the metrics' running state at `start`, from `kgan.rundir.metric_state`.
        keep: how many of the newest checkpoints to keep.
    """

    def __init__(self, run, every, steps_per_epoch, minutes=0.0, start=None, metric_state=None,
                 keep=2):
        super().__init__()
        self.run = run if isinstance(run, RunDir) else RunDir(run)
        self.every = every
        self.steps_per_epoch = steps_per_epoch
        self.minutes = minutes
        self.start = start or Position(0)
        self.metric_state = metric_state
        self.keep = keep
        self._last_save = None
        self._due_at_epoch_end = False

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        if self._last_save is None:
            self._last_save = time.monotonic()

    def on_epoch_begin(self, epoch, logs=None):
        super().on_epoch_begin(epoch, logs)
        # A run resumed mid-epoch restores the epoch's running means where it stopped.
        if epoch == self.start.epoch and self.start.batch and self.metric_state:
            for metric in self.model.metrics:
                for variable, value in zip(metric.variables, self.metric_state[metric.name]):
                    variable.assign(value)

    def on_train_batch_end(self, batch, logs=None):
        step = self.step_after(batch)
        due = self.every.due(step) or (
            self.minutes and time.monotonic() - self._last_save >= 60.0 * self.minutes)
        if not due:
            return
        if batch + 1 == self.params["steps"]:
            # The epoch's last batch: saved after the epoch's other callbacks ran.
            self._due_at_epoch_end = True
        else:
            self._save(Position.of_step(step, self.steps_per_epoch), logs)

    def on_epoch_end(self, epoch, logs=None):
        if self._due_at_epoch_end or _last_epoch(epoch, self.params):
            self._save(Position.of_step(self.model.step, self.steps_per_epoch), logs)
        self._due_at_epoch_end = False

    def _save(self, position, logs):
        if not _all_finite((logs or {}).values()) or not _all_finite(self.model.get_weights()):
            return
        # Mid-epoch, the epoch's running metric means go along, restored on resume.
        state = {metric.name: [float(v.numpy()) for v in metric.variables]
                 for metric in self.model.metrics} if position.batch else None
        self.run.save_checkpoint(self.model, position, self.keep, metric_state=state)
        self._last_save = time.monotonic()


class StopOnNaN(keras.callbacks.Callback):
    """Stops training at the first non-finite logged value; `reason` then says where."""

    def __init__(self):
        super().__init__()
        self.reason = None
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        for name, value in (logs or {}).items():
            if not math.isfinite(float(value)):
                self.reason = f"{name} became {float(value)} at epoch {self._epoch + 1}, step {batch + 1}"
                self.model.stop_training = True
                return


class Progress(keras.callbacks.Callback):
    """Prints one line per epoch with the logged metrics and examples per second.

    During an epoch it also reports the step: on a terminal by redrawing the line in place every
    half second, in a log file with a new line every minute.

    Args:
        batch_size: examples per step (the global batch).
        stream: where to print; standard output by default.
    """

    def __init__(self, batch_size, stream=None):
        super().__init__()
        self.batch_size = batch_size
        self.stream = stream or sys.stdout
        live = self.stream.isatty()
        self._interval, self._end = (0.5, "\r") if live else (60.0, "\n")

    def on_epoch_begin(self, epoch, logs=None):
        self._start = self._last_draw = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        now = time.perf_counter()
        if now - self._last_draw > self._interval:
            self._last_draw = now
            self._print(batch + 1, logs, now, end=self._end)

    def on_epoch_end(self, epoch, logs=None):
        self._print(self.params["steps"], logs, time.perf_counter(), end="\n", epoch=epoch)

    def _print(self, steps, logs, now, end, epoch=None):
        elapsed = now - self._start
        rate = steps * self.batch_size / max(elapsed, 1e-9)
        head = f"epoch {epoch + 1}/{self.params['epochs']}" if epoch is not None else (
            f"step {steps}/{self.params['steps']}")
        metrics = "  ".join(f"{k} {float(v):.4f}" for k, v in (logs or {}).items())
        print(f"{head}  {metrics}  {rate:,.0f} examples/s  {elapsed:.1f}s", end=end,
              file=self.stream, flush=True)


def diversity(samples, pairs=2048, seed=0):
    """The mean distance between random pairs of (flattened) samples: it falls towards 0 when
    a generator collapses onto a few modes."""
    flat = np.asarray(samples, np.float32).reshape(len(samples), -1)
    rng = np.random.default_rng(seed)
    i, j = rng.integers(0, len(flat), pairs), rng.integers(0, len(flat), pairs)
    keep = i != j
    return float(np.linalg.norm(flat[i[keep]] - flat[j[keep]], axis=1).mean())


def diversity_ratio(fake, real, labels=None, seed=0):
    """The generated samples' `diversity` over the real samples'; near 1 for a generator that
    varies as much as the data, far below it for a collapsed one.

    With `labels` (a conditional generator's fakes, generated for the real samples' labels),
    the ratio is taken class by class and averaged over the classes with at least two
    samples: a conditional generator must vary within each class, and the mix of classes
    alone would make even a collapsed one look varied.
    """
    if labels is None:
        return diversity(fake, seed=seed) / diversity(real, seed=seed)
    ratios = [diversity(fake[labels == label], seed=seed)
              / diversity(real[labels == label], seed=seed)
              for label in np.unique(labels) if np.sum(labels == label) >= 2]
    return float(np.mean(ratios))


class Evaluation(StepCallback):
    """Scores the generator during training, keeps the best checkpoint, and warns of collapse.

    At the due points of `every` it generates `len(real)` samples from a fixed latent batch,
    computes `metric` against `real`, appends the result to `RUN/metrics.jsonl` and saves the
    GAN as `RUN/checkpoints/best.keras` when the metric improves (GAN quality often peaks before
    the last step). The first time the samples' `diversity_ratio` falls below
    `collapse_ratio` it warns, once, with what to try.

    Args:
        run: the `kgan.rundir.RunDir`.
        real: real samples in the generator's range, e.g. from `kgan.evaluate.real_samples`.
        every: a `Cadence`.
        metric: one of `kgan.metrics.OFFLINE_METRICS` (lower is better, no download).
        seed: seeds the latent batch.
        collapse_ratio: the diversity ratio below which to warn.
        records: the run's earlier `metrics.jsonl` records (a resumed run's, up to where it
            resumes): the best score among them is the one to beat, so `best.keras` never
            regresses.
        real_labels: the real samples' classes, for a conditional GAN: it generates one sample
            of each.
    """

    def __init__(self, run, real, every, metric="swd", seed=0, collapse_ratio=COLLAPSE_RATIO,
                 records=(), real_labels=None):
        super().__init__()
        self.run = run
        self.real = real
        self.every = every
        self.real_labels = real_labels
        self.metric = metric
        self.seed = seed
        self.collapse_ratio = collapse_ratio
        self._warned = False
        self.best = min((record[metric] for record in records
                         if metric in record and record.get("reference") == "train"),
                        default=None)

    def on_train_batch_end(self, batch, logs=None):
        step = self.step_after(batch)
        if self.every.due(step):
            self.evaluate(step)

    def evaluate(self, step):
        """Scores the generator as it is now, at training step `step`."""
        fake = self.model.generate(len(self.real), seed=self.seed, labels=self.real_labels)
        ratio = diversity_ratio(fake, self.real, self.real_labels, seed=self.seed)
        results = compute_metrics(self.real, fake, [self.metric])
        kimg = step * self.every.batch_size / 1000
        record = {"kimg": kimg, "step": step, "reference": "train", "num_real": len(self.real),
                  "num_fake": len(fake), "diversity_ratio": ratio, **results}
        append_record(self.run.path(METRICS), record)
        value = results[self.metric]
        if (self.best is None or value < self.best) and _all_finite(self.model.get_weights()):
            self.best = value
            save_model(self.model, self.run.best)
        if ratio < self.collapse_ratio and not self._warned:
            self._warned = True
            print(f"warning: at {kimg:g} kimg the samples vary {ratio:.2f} times as much as the "
                  f"data{' within a class' if self.real_labels is not None else ''} (below "
                  f"{self.collapse_ratio}): the generator may be collapsing. "
                  f"{COLLAPSE_ADVICE[self.real_labels is not None]} "
                  f"RUN/metrics.jsonl keeps the ratio of every evaluation.",
                  file=sys.stderr, flush=True)
