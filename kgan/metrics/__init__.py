"""Evaluation metrics, one registry: each metric compares a real and a generated sample set.

Metrics on InceptionV3 features (`fid`, `kid`, `pr`) receive features; the others receive the
samples themselves (images in [-1, 1], or 2D points). Every function returns a dict of numbers.
"""

import numpy as np

from kgan.metrics.frechet import frechet_distance, kernel_distance
from kgan.metrics.moments import moment_errors
from kgan.metrics.precision_recall import precision_recall
from kgan.metrics.swd import image_swd, sliced_wasserstein


def _fid(real, fake):
    return {"fid": frechet_distance(real, fake)}


def _kid(real, fake):
    mean, std = kernel_distance(real, fake)
    return {"kid": mean, "kid_std": std}


def _pr(real, fake):
    precision, recall = precision_recall(real, fake)
    return {"precision": precision, "recall": recall}


def _swd(real, fake):
    if np.ndim(real) == 4:
        return image_swd(real, fake)
    return {"swd": sliced_wasserstein(real, fake)}


def _moments(real, fake):
    errors = moment_errors(real, fake)
    return {"mean_error": errors["mean_error"], "cov_error": errors["cov_error"]}


# name -> (function(real, fake) -> dict, whether it takes InceptionV3 features)
METRICS = {
    "fid": (_fid, True),
    "kid": (_kid, True),
    "pr": (_pr, True),
    "swd": (_swd, False),
    "moments": (_moments, False),
}

# Metrics that need no download and where lower is better: usable during training.
OFFLINE_METRICS = ("swd",)

# Lower is better for these; the best-checkpoint callback needs to know.
LOWER_IS_BETTER = {"fid", "kid", "swd", "mean_error", "cov_error"}

__all__ = [
    "LOWER_IS_BETTER",
    "METRICS",
    "frechet_distance",
    "image_swd",
    "kernel_distance",
    "moment_errors",
    "precision_recall",
    "sliced_wasserstein",
]
