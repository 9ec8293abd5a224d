"""The `kgan` command line. Thin: it parses options and calls the library."""

import functools
import sys

import click

from kgan import backend, rundir, sampling, train, walks
from kgan import evaluate as kevaluate
from kgan import export as kexport
from kgan.data import cache as kcache
from kgan.distribute import STRATEGIES
from kgan.errors import KganError
from kgan.losses import LOSSES
from kgan.nets.conditional import CLASS_INPUTS
from kgan.precision import PRECISIONS


def _user_errors(command):
    """Turns a `KganError` (and a failed file write) into one line on stderr and exit code 1."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except KganError as error:
            raise click.ClickException(str(error)) from None
        except OSError as error:
            raise click.ClickException(f"{error.filename or ''}: {error.strerror}") from None

    return wrapper


class _Group(click.Group):
    """A click group whose errors, usage mistakes included, are one line on stderr."""

    def main(self, *args, **kwargs):
        kwargs["standalone_mode"] = False
        try:
            return super().main(*args, **kwargs)
        except click.ClickException as error:
            click.echo(f"Error: {error.format_message()}", err=True)
            sys.exit(error.exit_code)
        except click.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(1)


@click.group(cls=_Group)
@click.version_option(package_name="kgan")
@click.option("--verbose", is_flag=True, help="Also show TensorFlow's start-up log lines, which kgan hides.")
def main(verbose):
    """Train GANs with Keras and ship their generators to TensorFlow Serving."""
    if verbose:
        click.echo("".join(backend.SUPPRESSED), err=True, nl=False)


_POSITIVE = click.IntRange(min=1)


@main.command()
@click.option("--dataset", help="gaussian or mixture (built in), pokemon, mnist, fashion_mnist or folder:PATH.  [default: the preset's data set; gaussian without --preset]")
@click.option("--preset", help="Networks and training defaults.  [default: the dataset's own]")
@click.option("--epochs", type=_POSITIVE, help="Training epochs.  [default: the preset's]")
@click.option("--kimg", type=click.FloatRange(min=0, min_open=True), help="Train on this many thousand images instead of --epochs (it may end mid-epoch).")
@click.option("--batch-size", type=_POSITIVE, help="Global batch size.  [default: the preset's]")
@click.option("--lr-d", type=float, help="Discriminator learning rate.  [default: the preset's]")
@click.option("--lr-g", type=float, help="Generator learning rate.  [default: the preset's]")
@click.option("--latent-dim", type=_POSITIVE, help="Latent size.  [default: the preset's]")
@click.option("--conditional", is_flag=True, default=None, help="A conditional GAN: the networks take the data set's class labels (a folder's classes are its subfolders).  [default: the preset's]")
@click.option("--save-every", type=click.FloatRange(min=0, min_open=True), help="Thousands of training images (kimg) between sample grids, loss plots and checkpoints; the end of training is always saved.  [default: the preset's]")
@click.option("--seed", type=int, default=0, show_default=True, help="Seeds weights, noise and data order.")
@click.option("--deterministic", is_flag=True, default=None, help="Deterministic kernels (TensorFlow's op determinism): the same command gives a bit-equal run on any device.")
@click.option("--checkpoint-minutes", type=click.FloatRange(min=0), help="Also checkpoint mid-epoch every M minutes (0: after epochs only).  [default: the preset's]")
@click.option("--run-dir", type=click.Path(file_okay=False), help="Run directory.  [default: runs/DATASET-TIMESTAMP]")
@click.option("--data-dir", type=click.Path(), help="Where the data set lives (manual downloads).")
@click.option("--resume", "resume_dir", type=click.Path(file_okay=False), help="Continue the run in this directory from its newest checkpoint; only --epochs or --kimg, --strategy, --replicas and --quiet may be given, the rest comes from its config.json.")
@click.option("--tensorboard", is_flag=True, help="Also log losses and sample grids to RUN/tensorboard/.")
@click.option("--eval-every", type=click.FloatRange(min=0), help="Score the generator every N thousand training images (kimg; 0: never), keep checkpoints/best.keras, warn of mode collapse.  [default: the preset's: 200 for pokemon, 1000 for the 28x28 presets, 0 for gaussian]")
@click.option("--eval-metric", default="swd", show_default=True, help="The metric of --eval-every (offline, lower is better).")
@click.option("--eval-samples", type=click.IntRange(min=2), default=1024, show_default=True, help="Real and generated samples per evaluation.")
@click.option("--strategy", type=click.Choice(STRATEGIES), default="auto", show_default=True, help="auto: MirroredStrategy on several GPUs, else the default; multiworker reads TF_CONFIG.")
@click.option("--replicas", type=_POSITIVE, help="Split a GPU-less CPU into N replicas (try --strategy mirrored on a laptop).")
@click.option("--sync-batchnorm", is_flag=True, default=None, help="BatchNorm statistics over the global batch across replicas.")
@click.option("--precision", type=click.Choice(PRECISIONS), help="auto: bf16 on CPUs with bfloat16 instructions, fp16 on tensor-core GPUs, else fp32.  [default: the preset's]")
@click.option("--jit", type=click.Choice(["auto", "on", "off"]), help="XLA for the training step; auto: on for GPUs.  [default: the preset's]")
@click.option("--loss", type=click.Choice(list(LOSSES)), help="The GAN loss.  [default: the preset's]")
@click.option("--gp-weight", type=click.FloatRange(min=0), help="WGAN-GP gradient penalty weight.  [default: 10 for wasserstein, else 0]")
@click.option("--r1-gamma", type=click.FloatRange(min=0), help="R1 penalty on real data (0: off).  [default: the preset's]")
@click.option("--r1-every", type=_POSITIVE, help="Apply R1 every N discriminator steps.  [default: the preset's]")
@click.option("--d-steps", type=_POSITIVE, help="Discriminator updates per generator update.  [default: the preset's]")
@click.option("--ema", type=click.FloatRange(0, 1, max_open=True), help="Keep an exponential moving average of the generator's weights with this decay (e.g. 0.999) for samples, evaluation and export; 0: off.  [default: the preset's]")
@click.option("--diffaugment", "augment", is_flag=False, flag_value="color,translation,cutout", help="DiffAugment the discriminator's inputs; alone it means color,translation,cutout; '' turns it off.  [default: the preset's]")
@click.option("--spectral-norm", is_flag=True, default=None, help="Spectral normalisation of the discriminator's layers.")
@click.option("--mode-seeking", type=click.FloatRange(min=0), help="Weight of MSGAN's mode-seeking term in the generator's loss, against a generator that draws one image per class (0: off).  [default: the preset's]")
@click.option("--class-input", type=click.Choice(CLASS_INPUTS), help="How a conditional generator takes its class: concat (its embedding beside z) or batchnorm (conditional BatchNorm).  [default: the preset's; batchnorm for the conditional DCGAN-28]")
@click.option("--quiet", is_flag=True, help="No progress output.")
@_user_errors
def fit(dataset, preset, epochs, kimg, batch_size, lr_d, lr_g, latent_dim, conditional, save_every,
        seed, deterministic, checkpoint_minutes, run_dir, data_dir, resume_dir, tensorboard, eval_every,
        eval_metric, eval_samples, strategy, replicas, sync_batchnorm, precision, jit, loss,
        gp_weight, r1_gamma, r1_every, d_steps, ema, augment, spectral_norm, mode_seeking,
        class_input, quiet):
    """Train a GAN and write a run directory (config, checkpoints, samples, losses)."""
    if resume_dir:
        _refuse_options_besides("epochs", "kimg", "strategy", "replicas", "quiet", "resume_dir")
        train.resume(resume_dir, epochs=epochs, kimg=kimg, strategy=strategy,
                     replicas=replicas, verbose=not quiet)
        return
    train.fit(dataset=dataset, preset=preset, run_dir=run_dir, seed=seed,
              data_dir=data_dir, tensorboard=tensorboard, eval_every=eval_every,
              eval_metric=eval_metric, eval_samples=eval_samples, strategy=strategy,
              replicas=replicas, sync_batchnorm=sync_batchnorm, precision=precision, jit=jit,
              loss=loss, gp_weight=gp_weight, r1_gamma=r1_gamma, r1_every=r1_every,
              d_steps=d_steps, ema=ema, augment=augment, spectral_norm=spectral_norm,
              mode_seeking=mode_seeking, class_input=class_input, verbose=not quiet,
              epochs=epochs, kimg=kimg, batch_size=batch_size, lr_d=lr_d, lr_g=lr_g,
              latent_dim=latent_dim, conditional=conditional, save_every=save_every,
              deterministic=deterministic, checkpoint_minutes=checkpoint_minutes)


def _refuse_options_besides(*allowed):
    """Raises `KganError` naming every option of the current command given on the command line
    other than `allowed` (parameter names)."""
    context = click.get_current_context()
    given = [param.opts[0] for param in context.command.params
             if param.name not in allowed
             and context.get_parameter_source(param.name) == click.core.ParameterSource.COMMANDLINE]
    if given:
        raise KganError(f"--resume takes its options from the run's config.json; drop "
                        f"{', '.join(given)}")


_TRUNCATION = click.option(
    "--truncation", type=click.FloatRange(0, 1, min_open=True), default=1.0, show_default=True,
    help="The truncation trick's psi in (0, 1]: every latent vector is scaled by psi, pulling "
         "it towards the mean (zero), so lower values give more typical samples and less "
         "variety; 1 leaves them as they are.")


@main.command()
@click.argument("source", type=click.Path(exists=True))
@click.option("-n", "num_samples", type=_POSITIVE, default=64, show_default=True, help="Number of samples.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seeds the latent batch.")
@click.option("--label", help="A conditional generator's class, by number or name.  [default: the classes in turn]")
@_TRUNCATION
@click.option("--out", required=True, type=click.Path(), help="Output: a .png (grid or scatter), a .npy (raw output) or a folder ending in / (one numbered PNG per sample).")
@_user_errors
def sample(source, num_samples, seed, label, truncation, out):
    """Generate samples from a run directory, a .keras file or an exported SavedModel."""
    sampling.check_output(out)
    generator = sampling.load_generator(source)
    if label is not None:
        label = sampling.parse_label(label, generator.class_names)
    samples, labels = sampling.generate_labelled(generator, num_samples, seed, label, truncation)
    sampling.write_samples(samples, out, labels, generator.class_names)
    click.echo(f"wrote {num_samples} samples to {out}")


def _integers(option):
    """A click callback: a comma-separated list of integers (at least two)."""
    def parse(context, param, text):
        if text is None:
            return None
        try:
            values = [int(part) for part in text.split(",")]
        except ValueError:
            raise click.BadParameter(f"{text!r} is not a comma-separated list of integers") from None
        if len(values) < 2:
            raise click.BadParameter(f"a walk needs at least two {option}, got {text!r}")
        return values
    return parse


@main.command()
@click.argument("source", type=click.Path(exists=True))
@click.option("--seeds", callback=_integers("seeds"), help="Walk through the samples of these seeds, e.g. 1,5,9.")
@click.option("--labels", help="Walk between these classes (numbers or names, e.g. 0,3) at the latent vector of --seed; a conditional run directory or .keras file.")
@click.option("--frames", type=click.IntRange(min=2), default=16, show_default=True, help="Frames from one seed or class to the next, both included.")
@click.option("--seed", type=int, default=0, show_default=True, help="The latent vector of a walk between --labels.")
@click.option("--label", help="The class of a conditional generator's walk through --seeds.  [default: the first class]")
@_TRUNCATION
@click.option("--out", required=True, type=click.Path(), help="Output: .gif (animation), .png (the frames side by side), .npy (raw frames) or a folder ending in / (numbered PNG frames).")
@_user_errors
def interpolate(source, seeds, labels, frames, seed, label, truncation, out):
    """Walk through latent space from one sample to the next and write the frames.

    Latent vectors are interpolated on the sphere (slerp), as suits Gaussian latents; the
    first and last frames are the samples `kgan sample -n 1 --seed S` gives.
    """
    sampling.check_output(out, sampling.WALK_OUTPUTS)
    generator = sampling.load_generator(source)
    if labels is not None:
        labels = [sampling.parse_label(text, generator.class_names) for text in labels.split(",")]
    if label is not None:
        label = sampling.parse_label(label, generator.class_names)
    walk = walks.interpolate(generator, seeds=seeds, labels=labels, frames=frames, seed=seed,
                             label=label, truncation=truncation)
    sampling.write_walk(walk, out)
    click.echo(f"wrote {len(walk)} frames to {out}")


@main.command()
@click.argument("source", type=click.Path(exists=True))
@click.option("--out", required=True, type=click.Path(file_okay=False), help="The model's base folder, e.g. exported/NAME; the export goes to OUT/VERSION/.")
@click.option("--version", "version", type=_POSITIVE, help="The version number.  [default: the next free one]")
@click.option("--raw", is_flag=True, help="Export the trained weights, not their moving average (runs with --ema).")
@click.option("--checkpoint", type=click.Choice(sampling.RUN_MODELS), default="final", show_default=True, help="Which model of a run directory: final (model.keras, else the newest checkpoint), best (the best --eval-every score) or latest (the newest checkpoint).")
@_user_errors
def export(source, out, version, raw, checkpoint):
    """Export the generator of a run directory or .keras file for TensorFlow Serving."""
    gan = sampling.load_gan(source, checkpoint)
    target = kexport.export_generator(gan, out, version=version, raw=raw)
    click.echo(f"exported the generator to {target}")


@main.command()
@click.argument("source", type=click.Path(exists=True))
@click.option("--dataset", help="The reference data set.  [default: the run's own, for a run directory]")
@click.option("--metrics", "names", default="swd", show_default=True, help="Comma-separated: fid, kid, pr (InceptionV3 features), swd, moments (2D).")
@click.option("-n", "num_samples", type=click.IntRange(min=2), default=10_000, show_default=True, help="Real samples to compare with (as many are generated).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seeds the real subset and the latent batch.")
@click.option("--data-dir", type=click.Path(), help="Where the data set lives (manual downloads).")
@click.option("--inception-weights", type=click.Path(dir_okay=False), help="InceptionV3 'notop' ImageNet weights (.h5) for fid, kid and pr.  [default: the Keras cache]")
@_user_errors
def evaluate(source, dataset, names, num_samples, seed, data_dir, inception_weights):
    """Score a generator (run directory, .keras file or export) against real data.

    Results are printed; for a run directory they are also appended to RUN/metrics.jsonl.
    """
    names = kevaluate.parse_metrics(names)
    run = rundir.RunDir(source)
    run_dir = source if run.holds_run() else None
    if dataset is None:
        if run_dir is None:
            raise KganError("--dataset is needed unless SOURCE is a run directory")
        config = run.read_config()
        dataset, data_dir = config.dataset, data_dir or config.data_dir
    record = kevaluate.evaluate(sampling.load_generator(source), dataset, names, num_samples,
                                seed, data_dir, inception_weights, record_dir=run_dir)
    for key, value in record.items():
        click.echo(f"{key:>19}  {value:.6g}" if isinstance(value, float) else f"{key:>19}  {value}")


@main.command()
@click.option("--clear", is_flag=True, help="Delete every entry; the next run on each data set decodes its images again.")
@_user_errors
def cache(clear):
    """List the cache of decoded images (KGAN_CACHE; default ~/.cache/kgan), or clear it."""
    folder = kcache.cache_folder()
    if folder is None:
        click.echo(f"the cache is off ({kcache.CACHE_ENV}=off)")
    elif clear:
        count, size = kcache.clear()
        click.echo(f"deleted {_entries(count)} ({_megabytes(size)}) from {folder}")
    else:
        entries = kcache.list_entries()
        env = kcache.CACHE_ENV
        click.echo(f"{folder} ({env}=DIR moves it, {env}=off turns it off)")
        for entry in entries:
            if entry.shape is None:
                what = f"(source unknown: an older kgan's or a half-written file) {entry.path}"
            else:
                what = f"{entry.shape[0]:,} x {'x'.join(map(str, entry.shape[1:]))}  {entry.source}"
            click.echo(f"{_megabytes(entry.size):>10}  {what}")
        click.echo(f"{_entries(len(entries))}, {_megabytes(sum(e.size for e in entries))}")


def _entries(count):
    return f"{count} entr{'y' if count == 1 else 'ies'}"


def _megabytes(size):
    return f"{size / 1e6:.1f} MB"
