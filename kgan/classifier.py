"""The label classifier that scores a conditional generator: does a sample show its class?

A small network trained on the real labelled training data. Its accuracy on held-out real data
is the ceiling for the generated samples' label accuracy: a generator cannot be told apart
more reliably than the real data can.
"""

import json
import os

import keras
import numpy as np

from kgan.files import read_extra, save_model

# The archive member of a saved classifier that says what it was trained on and how well.
_INFO_MEMBER = "classifier.json"


def classifier_network(sample_shape, num_classes):
    """A small convolutional network for images, an MLP for points; one logit per class."""
    if len(sample_shape) == 3:
        hidden = [layer for filters in (32, 64, 128)
                  for layer in (keras.layers.Conv2D(filters, 3, 2, padding="same"),
                                keras.layers.LeakyReLU(0.2))]
        hidden.append(keras.layers.GlobalAveragePooling2D())
    else:
        hidden = [keras.layers.Dense(64, activation="relu"),
                  keras.layers.Dense(64, activation="relu")]
    return keras.Sequential([keras.Input(tuple(sample_shape)), *hidden,
                             keras.layers.Dense(num_classes)], name="classifier")


def train_classifier(samples, labels, num_classes, steps=300, batch_size=64, holdout=0.1,
                     seed=0, verbose=False):
    """Trains `classifier_network` on real labelled samples.

    Args:
        samples: real samples in the generator's range, `[n, ...]`.
        labels: their classes, int `[n]`.
        num_classes: the number of classes.
        steps: training steps (batches).
        batch_size: samples per step.
        holdout: the fraction of samples held out to measure the accuracy.
        seed: seeds the split, the weights and the batches.
        verbose: show Keras' progress bar.

    Returns:
        `(classifier, accuracy)`: the trained network and its accuracy on the held-out part.
    """
    keras.utils.set_random_seed(seed)
    order = np.random.default_rng(seed).permutation(len(samples))
    cut = max(1, int(len(samples) * holdout))
    test, train = order[:cut], order[cut:]
    classifier = classifier_network(samples.shape[1:], num_classes)
    classifier.compile(keras.optimizers.Adam(1e-3),
                       keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                       metrics=["accuracy"])
    batch_size = min(batch_size, len(train))
    epochs = max(1, round(steps * batch_size / len(train)))
    classifier.fit(samples[train], labels[train], batch_size=batch_size, epochs=epochs,
                   verbose=int(verbose))
    return classifier, label_accuracy(classifier, samples[test], labels[test])


def label_accuracy(classifier, samples, labels):
    """The fraction of `samples` that `classifier` assigns to their `labels`."""
    logits = classifier.predict(samples, batch_size=256, verbose=0)
    return float(np.mean(np.argmax(logits, axis=-1) == np.asarray(labels)))


def cached_classifier(path, samples, labels, class_names, key, verbose=False):
    """The classifier saved at `path` when it was trained on the same data, else a new one,
    saved there (`path=None`: not saved).

    Args:
        path: the `.keras` file of the cache, or `None`.
        samples: real samples in the generator's range.
        labels: their classes.
        class_names: the classes' names.
        key: what identifies the training data (e.g. the data set's name and sample shape);
            a cached classifier with another key is trained again.
        verbose: say whether it was trained or loaded.

    Returns:
        `(classifier, accuracy)` as `train_classifier` returns them.
    """
    info = {"key": key, "classes": list(class_names)}
    if path and os.path.exists(path):
        saved = read_extra(path, _INFO_MEMBER) or {}
        if {name: saved.get(name) for name in info} == info:
            return keras.saving.load_model(path), saved["accuracy"]
    if verbose:
        print(f"Training the label classifier on {len(samples):,} real samples ...", flush=True)
    classifier, accuracy = train_classifier(samples, labels, len(class_names))
    if path:
        save_model(classifier, path, extra={_INFO_MEMBER: json.dumps({**info,
                                                                      "accuracy": accuracy})})
    return classifier, accuracy
