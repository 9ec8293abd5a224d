"""`kgan evaluate`: metrics of a trained generator against real data, appended to metrics.jsonl.

A conditional generator is also scored class by class: the intra-class SWD (the SWD of each
class's samples against that class's real data, averaged over the classes) and the label
accuracy (how often `kgan.classifier`'s network, trained on the real data, sees the class a
sample was generated for).
"""


import keras
import numpy as np

from kgan import classifier as kclassifier
from kgan import data, rundir
from kgan.data import Examples
from kgan.data.pipeline import to_model_range
from kgan.errors import KganError, parse_names
from kgan.metrics import METRICS, moment_errors
from kgan.metrics.inception import inception_features, inception_network


def parse_metrics(names):
    """Splits `fid,kid,swd` into metric names; at least one is needed."""
    parsed = parse_names(names, METRICS, "metric")
    if not parsed:
        raise KganError(f"--metrics names no metric; choose from: {', '.join(METRICS)}")
    return parsed


def compute_metrics(real, fake, names, inception_weights=None, random_inception=False,
                    verbose=False):
    """Computes the named metrics of generated samples against real ones.

    Args:
        real: real samples in the generator's range (images in [-1, 1], or points).
        fake: generated samples, the same shape.
        names: metric names from `kgan.metrics.METRICS`.
        inception_weights: the InceptionV3 weights file for feature metrics (default: cache).
        random_inception: use random Inception weights (tests only).
        verbose: show a progress bar while extracting features.

    Returns:
        A dict of results.
    """
    results = {}
    features = None
    if any(METRICS[name][1] for name in names):
        if np.ndim(real) != 4:
            raise KganError("fid, kid and pr compare images; use swd or moments for points")
        network = inception_network(inception_weights, random_weights=random_inception)
        bar = keras.utils.Progbar(len(real) + len(fake), verbose=int(verbose), unit_name="image")
        features = [inception_features(x, network, progress=bar) for x in (real, fake)]
    for name in names:
        function, wants_features = METRICS[name]
        results.update(function(*features) if wants_features else function(real, fake))
    return results


def real_samples(examples, num_samples, seed=0):
    """Up to `num_samples` of `Examples`, drawn without replacement, in the generator's range.

    Returns:
        `Examples` of float32 samples, with the labels of those drawn.
    """
    pick = np.sort(np.random.default_rng(seed).permutation(len(examples))[:num_samples])
    values = keras.ops.convert_to_numpy(to_model_range(examples.values[pick]))
    labels = None if examples.labels is None else examples.labels[pick]
    return Examples(values, labels, examples.class_names)


def reference_samples(dataset, sample_shape, num_samples, seed=0, data_dir=None):
    """Up to `num_samples` examples of data set `dataset`, drawn without replacement with
    `seed`, in the generator's range: the real side of every comparison (`Examples`)."""
    return real_samples(data.load_data(dataset, sample_shape, data_dir), num_samples, seed)


# How many generated points a 2D generator's moments are measured on.
MOMENT_SAMPLES = 100_000


def point_moments(gan, real, seed=0, label=None):
    """`kgan.metrics.moment_errors` of `MOMENT_SAMPLES` points from `gan` (of class `label`,
    when conditional) against `real`."""
    return moment_errors(real, gan.generate(MOMENT_SAMPLES, seed=seed, labels=label))


def intra_class_swd(real, fake, fake_labels):
    """The SWD of each class's generated samples against its real ones, averaged over the
    classes with at least two of each (NaN when none has).

    Args:
        real: real `Examples` with labels.
        fake: generated samples.
        fake_labels: the class each was generated for.
    """
    scores = []
    for label in np.unique(real.labels):
        ours, theirs = real.values[real.labels == label], fake[fake_labels == label]
        n = min(len(ours), len(theirs))
        if n >= 2:
            scores.append(METRICS["swd"][0](ours[:n], theirs[:n])["swd"])
    return float(np.mean(scores)) if scores else float("nan")


# Real samples the label classifier trains on, at most.
CLASSIFIER_SAMPLES = 20_000


def evaluate(generator, dataset, names, num_samples=10_000, seed=0, data_dir=None,
             inception_weights=None, record_dir=None, verbose=True, random_inception=False):
    """Evaluates a generator (a `kgan.GAN` or an exported one) against a data set.

    A conditional generator makes as many samples of each class as the real subset holds, and
    the record also gets `swd_intra`, `label_accuracy`, and `classifier_accuracy`: the
    classifier's accuracy on held-out real data, the ceiling of `label_accuracy`. With
    `record_dir` the classifier is kept there and reused.

    Args:
        generator: anything with `generate(n, seed, labels)`, `sample_shape` and
            `num_classes`.
        dataset: the reference data set's name (its training split).
        names: metric names.
        num_samples: real samples to compare with (as many are generated).
        seed: seeds both the real subset and the latent batch.
        data_dir: where the data set lives.
        inception_weights: the InceptionV3 weights file for fid, kid and pr.
        record_dir: a run directory whose `metrics.jsonl` gets the result.
        verbose: show progress.
        random_inception: random Inception weights (tests only).

    Returns:
        The record: the results with the step, the sample counts and the reference split.
    """
    examples = data.load_data(dataset, generator.sample_shape, data_dir)
    real = real_samples(examples, num_samples, seed)
    conditional = bool(generator.num_classes)
    if conditional:
        _check_classes(generator, real, dataset)
    fake = generator.generate(len(real), seed=seed, labels=real.labels if conditional else None)
    record = {
        "step": getattr(generator, "step", None),
        "dataset": dataset,
        "reference": "train",
        "num_real": len(real),
        "num_fake": len(fake),
        **compute_metrics(real.values, fake, names, inception_weights, random_inception,
                          verbose),
    }
    if conditional:
        training = real_samples(examples, CLASSIFIER_SAMPLES, seed)
        cache = rundir.RunDir(record_dir).path(rundir.CLASSIFIER) if record_dir else None
        classifier, ceiling = kclassifier.cached_classifier(
            cache, training.values, training.labels, training.class_names,
            key=[dataset, list(generator.sample_shape)], verbose=verbose)
        record["swd_intra"] = intra_class_swd(real, fake, real.labels)
        record["label_accuracy"] = kclassifier.label_accuracy(classifier, fake, real.labels)
        record["classifier_accuracy"] = ceiling
    if record_dir:
        rundir.append_record(rundir.RunDir(record_dir).path(rundir.METRICS), record)
    return record


def _check_classes(generator, real, dataset):
    """Refuses reference data whose classes cannot be the generator's."""
    if real.labels is None:
        raise KganError(f"the generator is conditional but dataset {dataset!r} has no labels")
    if len(real.class_names) != generator.num_classes:
        raise KganError(f"the generator has {generator.num_classes} classes, dataset "
                        f"{dataset!r} {len(real.class_names)}")
