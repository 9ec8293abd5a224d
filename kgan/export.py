"""Generator-only SavedModels in TensorFlow Serving's layout: `BASE/VERSION/saved_model.pb`.

Signatures (tag `serve`):
- `serving_default`: `z` float32 `[-1, latent_dim]` -> `samples` float32, the generator's output.
- `sample` (image generators only): `num_images` int32 scalar, `seed` int64 scalar and the
  optional `truncation` float32 scalar (default 1.0) -> `images_uint8` uint8 `[-1, H, W, C]`
  and `png_bytes` string `[-1]`. Its latent vectors are `kgan.latent_batch(num_images,
  latent_dim, seed, truncation)`, so the same seed gives the same images as `kgan sample`. TF
  Serving's REST API base64-encodes outputs whose names end in `_bytes`.
- `interpolate` (image generators only): `seed_from` and `seed_to` int64 scalars, `frames`
  int32 scalar (2 to `MAX_IMAGES`) and the optional `truncation` -> the frames of the latent
  walk from one seed's sample to the other's, as `kgan interpolate --seeds FROM,TO`, in the
  same two outputs.

A conditional generator's signatures also take a `label`: int32 `[-1]` beside `z`; an optional
int32 scalar in `sample` (default -1: the classes in turn, as `kgan sample` without `--label`)
and in `interpolate` (default 0: the class of every frame). A label outside `[0, num_classes)`
fails the request. The class names travel in `assets.extra/class_names.json`.

An optional input is one whose default the SignatureDef records (`defaults`); TF Serving fills
it in for a request that leaves the input out.
"""

import json
import os
import shutil

import keras
import numpy as np
import tensorflow as tf

from kgan.data.pipeline import to_uint8
from kgan.errors import KganError
from kgan.inference import run_in_batches
from kgan.latents import label_batch, latent_batch, sample_labels, seed_latents, walk

# The most images one `sample` request may ask for: a bound on the server's memory per request.
MAX_IMAGES = 1024
# TF Serving replays the requests in this file when it loads a version, before it serves it.
WARMUP_FILE = os.path.join("assets.extra", "tf_serving_warmup_requests")
# The batch sizes the warmup requests use: the first request of each size pays for its set-up.
WARMUP_BATCHES = (1, 8, 64)
# A conditional generator's class names, a JSON list, beside the SavedModel.
CLASSES_FILE = os.path.join("assets.extra", "class_names.json")


def next_version(base):
    """Returns one more than the largest integer version folder in `base` (1 when none)."""
    versions = [int(name) for name in _listdir(base) if name.isdigit()]
    return max(versions, default=0) + 1


def _listdir(path):
    return os.listdir(path) if os.path.isdir(path) else []


def export_generator(gan, base, version=None, raw=False):
    """Exports `gan`'s generator (and no other variable) as `base/VERSION/`.

    The generator is `gan.sampling_generator(raw)`'s: with EMA the moving-average weights
    (the trained ones with `raw`), and BatchNorm's standing statistics.

    The SavedModel is written to a temporary folder beside the version and renamed into place,
    so a crash mid-write never leaves a partial version that TF Serving would load.

    Args:
        gan: a `kgan.GAN`.
        base: the model's base folder, e.g. `exported/pokemon`.
        version: a positive integer; defaults to the next free one.
        raw: export the trained weights even when EMA weights exist.

    Returns:
        The path of the new version folder.

    Raises:
        KganError: the version exists already (exports are never overwritten) or is not positive.
    """
    version = next_version(base) if version is None else version
    if version < 1:
        raise KganError(f"--version must be a positive integer (got {version})")
    target = os.path.join(base, str(version))
    if os.path.exists(target):
        raise KganError(f"{target} exists already; exports are never overwritten "
                        "(leave out --version to take the next free one)")
    os.makedirs(base, exist_ok=True)
    # TF Serving only loads folders named by an integer: the temporary one is invisible to it.
    tmp = os.path.join(base, f".tmp-{version}-{os.getpid()}")
    try:
        generator = gan.sampling_generator(raw)
        _archive(generator, gan.latent_dim, gan.num_classes).write_out(tmp, verbose=False)
        _write_warmup(os.path.join(tmp, WARMUP_FILE), gan.latent_dim, gan.num_classes,
                      images=len(generator.output_shape) == 4)
        if gan.conditional:
            with open(os.path.join(tmp, CLASSES_FILE), "w") as f:
                json.dump(gan.class_names, f)
        os.rename(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _archive(generator, latent_dim, num_classes):
    archive = keras.export.ExportArchive()
    archive.track(generator)

    def run(z, labels):
        """The generator on checked inputs: a server may pass any shape or label through."""
        checks = [tf.debugging.Assert(
            tf.equal(tf.shape(z)[1], latent_dim),
            [f"z must have shape [batch, {latent_dim}], got", tf.shape(z)])]
        if num_classes:
            checks += [
                tf.debugging.Assert(tf.equal(tf.shape(labels)[0], tf.shape(z)[0]),
                                    ["label must have one entry per row of z, got",
                                     tf.shape(labels), tf.shape(z)]),
                tf.debugging.Assert(
                    tf.reduce_all((labels >= 0) & (labels < num_classes)),
                    [f"labels must lie in [0, {num_classes}), got", labels]),
            ]
        with tf.control_dependencies(checks):
            z = tf.identity(z)
            if num_classes:
                labels = tf.identity(labels)
        return generator([z, labels] if num_classes else z, training=False)

    z_spec = tf.TensorSpec([None, latent_dim], tf.float32, name="z")
    if num_classes:
        archive.add_endpoint(
            "serving_default",
            lambda z, label: {"samples": tf.cast(run(z, label), tf.float32)},
            input_signature=[z_spec, tf.TensorSpec([None], tf.int32, name="label")])
    else:
        archive.add_endpoint(
            "serving_default", lambda z: {"samples": tf.cast(run(z, None), tf.float32)},
            input_signature=[z_spec])
    if len(generator.output_shape) == 4:
        _add_image_endpoints(archive, run, latent_dim, num_classes)
    return archive


def _add_image_endpoints(archive, run, latent_dim, num_classes):
    """Adds the `sample` and `interpolate` signatures (see the module's docstring) to `archive`;
    `run(z, labels)` is the checked generator."""

    def images(z, labels):
        pixels = to_uint8(run(z, labels))  # [n, H, W, C]
        png = tf.map_fn(tf.io.encode_png, pixels, fn_output_signature=tf.string)  # [n]
        return {"images_uint8": pixels, "png_bytes": png}

    def checked(count, least, name, truncation):
        """Asserts `least <= count <= MAX_IMAGES` and a truncation in (0, 1]."""
        return [
            tf.debugging.Assert((count >= least) & (count <= MAX_IMAGES),
                                [f"{name} must be between {least} and {MAX_IMAGES}, got", count]),
            tf.debugging.Assert((truncation > 0) & (truncation <= 1),
                                ["truncation must lie in (0, 1], got", truncation]),
        ]

    def sample(num_images, seed, label, truncation):
        with tf.control_dependencies(checked(num_images, 1, "num_images", truncation)):
            z = latent_batch(num_images, latent_dim, seed, truncation)
        labels = label_batch(num_images, num_classes, label) if num_classes else None
        return images(z, labels)

    def interpolate(seed_from, seed_to, frames, label, truncation):
        with tf.control_dependencies(checked(frames, 2, "frames", truncation)):
            z = walk(seed_latents([seed_from, seed_to], latent_dim, truncation), frames)
        return images(z, tf.fill([frames], label) if num_classes else None)

    # Inputs with a tensor default are optional: the SignatureDef records the default and TF
    # Serving fills it in for a request without them, so requests from before they existed
    # still work.
    one, in_turn, first = tf.constant(1.0), tf.constant(-1), tf.constant(0)
    if num_classes:
        def sample_endpoint(num_images, seed, label=in_turn, truncation=one):
            return sample(num_images, seed, label, truncation)

        def interpolate_endpoint(seed_from, seed_to, frames, label=first, truncation=one):
            return interpolate(seed_from, seed_to, frames, label, truncation)
    else:
        def sample_endpoint(num_images, seed, truncation=one):
            return sample(num_images, seed, None, truncation)

        def interpolate_endpoint(seed_from, seed_to, frames, truncation=one):
            return interpolate(seed_from, seed_to, frames, None, truncation)

    label = [tf.TensorSpec([], tf.int32, name="label")] if num_classes else []
    truncation = tf.TensorSpec([], tf.float32, name="truncation")
    archive.add_endpoint("sample", sample_endpoint, input_signature=[
        tf.TensorSpec([], tf.int32, name="num_images"), tf.TensorSpec([], tf.int64, name="seed"),
        *label, truncation])
    archive.add_endpoint("interpolate", interpolate_endpoint, input_signature=[
        tf.TensorSpec([], tf.int64, name="seed_from"), tf.TensorSpec([], tf.int64, name="seed_to"),
        tf.TensorSpec([], tf.int32, name="frames"), *label, truncation])


def _write_warmup(path, latent_dim, num_classes, images):
    """Writes TF Serving's warmup file: a TFRecord of `PredictionLog` protos, a `serving_default`
    request for each of `WARMUP_BATCHES` and, for images, a `sample` and an `interpolate`
    request for each."""
    def labels(n):  # a conditional generator's classes in turn
        return {"label": label_batch(n, num_classes).numpy()} if num_classes else {}

    requests = [("serving_default", {"z": latent_batch(n, latent_dim, seed=0).numpy(), **labels(n)})
                for n in WARMUP_BATCHES]
    if images:
        # The optional inputs left out of one signature's requests and given in the other's.
        requests += [("sample", {"num_images": np.int32(n), "seed": np.int64(0)})
                     for n in WARMUP_BATCHES]
        a_class = {"label": np.int32(0)} if num_classes else {}
        requests += [("interpolate", {"seed_from": np.int64(0), "seed_to": np.int64(1),
                                      "frames": np.int32(max(n, 2)), "truncation": np.float32(0.7),
                                      **a_class})
                     for n in WARMUP_BATCHES]
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with tf.io.TFRecordWriter(path) as writer:
        for signature, inputs in requests:
            writer.write(_prediction_log(signature, inputs))


def _prediction_log(signature, inputs):
    """A serialized `tensorflow.serving.PredictionLog` holding one `PredictRequest`.

    Written field by field in protobuf's wire format (field numbers from TF Serving's
    `prediction_log.proto`, `predict.proto` and `model.proto`), so that exporting needs no
    `tensorflow-serving-api`; the tests parse the result with it.
    """
    model_spec = _field(3, signature.encode())  # ModelSpec.signature_name
    # PredictRequest.inputs is a map: each entry a message of key (1) and TensorProto (2).
    entries = [_field(1, name.encode()) + _field(2, tf.make_tensor_proto(value).SerializeToString())
               for name, value in inputs.items()]
    request = _field(1, model_spec) + b"".join(_field(2, entry) for entry in entries)
    return _field(6, _field(1, request))  # PredictionLog.predict_log, PredictLog.request


def _field(number, payload):
    """One length-delimited protobuf field: its tag, its length, its bytes."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _varint(value):
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def is_export(path):
    """True for a SavedModel folder or a base folder holding integer versions of one."""
    return os.path.isfile(os.path.join(path, "saved_model.pb")) or any(
        name.isdigit() and os.path.isfile(os.path.join(path, name, "saved_model.pb"))
        for name in _listdir(path)
    )


class ExportedGenerator:
    """An exported generator loaded back, with `GAN.generate`'s interface.

    Args:
        path: a SavedModel folder, or a base folder (its newest version is used).
    """

    def __init__(self, path):
        if not os.path.isfile(os.path.join(path, "saved_model.pb")):
            path = os.path.join(path, str(next_version(path) - 1))
        self.path = path
        self._serve = tf.saved_model.load(path).signatures["serving_default"]
        self.latent_dim = self._serve.structured_input_signature[1]["z"].shape[-1]
        self.sample_shape = tuple(self._serve.structured_outputs["samples"].shape[1:])
        classes = os.path.join(path, CLASSES_FILE)
        self.class_names = []
        if os.path.exists(classes):
            with open(classes) as f:
                self.class_names = json.load(f)
        self.num_classes = len(self.class_names)

    def generate(self, n, seed=None, labels=None, batch_size=256, truncation=1.0):
        """Runs `serving_default` on `latent_batch(n, latent_dim, seed, truncation)`: the same
        latent vectors `GAN.generate(n, seed)` uses, so both give the same samples. A
        conditional generator takes `labels` as `GAN.generate` does."""
        z = latent_batch(n, self.latent_dim, seed, truncation)
        return self.from_latents(z, labels, batch_size)

    def from_latents(self, z, labels=None, batch_size=256):
        """`serving_default` on given latent vectors `z`, as `GAN.from_latents`."""
        inputs = [z]
        if self.num_classes:
            inputs.append(tf.constant(sample_labels(len(z), self.num_classes, labels)))
        elif labels is not None:
            raise KganError("this generator is unconditional: it takes no labels")
        names = ("z", "label")
        return run_in_batches(
            lambda rows: self._serve(**dict(zip(names, rows)))["samples"], inputs, batch_size)
