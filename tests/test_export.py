"""Exports for TensorFlow Serving: layout, signatures, the TF1 loader TF Serving uses, safety."""

import base64
import functools
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import keras
import numpy as np
import pytest
import tensorflow as tf
from click.testing import CliRunner
from conftest import make_gaussian_gan
from imagedata import write_image_folder
from tensorflow.python.tools import saved_model_utils

import kgan
from kgan.cli import main
from kgan.data.pipeline import to_uint8
from kgan.errors import KganError
from kgan.export import MAX_IMAGES, WARMUP_FILE, ExportedGenerator, export_generator

ROOT = os.path.join(os.path.dirname(__file__), os.pardir)


def _trained_image_gan():
    gan = kgan.build_gan(kgan.get_preset("mnist"), seed=0, steps_per_epoch=2)
    real = tf.random.stateless_uniform((8, 28, 28, 1), seed=(1, 2), minval=-1, maxval=1)
    gan.train_step(real)
    gan.train_step(real)
    return gan


def _trained_points_gan():
    gan = make_gaussian_gan()
    gan.train_step(tf.constant(kgan.data.gaussian_points(32)))
    return gan


@pytest.fixture(scope="module")
def image_export(tmp_path_factory):
    gan = _trained_image_gan()
    return gan, export_generator(gan, str(tmp_path_factory.mktemp("exp") / "mnist"))


@pytest.fixture(scope="module")
def points_export(tmp_path_factory):
    gan = _trained_points_gan()
    return gan, export_generator(gan, str(tmp_path_factory.mktemp("exp") / "gaussian"))


@functools.cache
def _loaded(path):
    return tf.saved_model.load(path)


def serve(path, name, **inputs):
    """Runs signature `name` of the export at `path` as TF Serving does: an input the request
    leaves out takes the default its SignatureDef records (and is an error without one)."""
    signature = _loaded(path).signatures[name]
    defaults = saved_model_utils.get_meta_graph_def(path, "serve").signature_def[name].defaults
    specs = signature.structured_input_signature[1]
    feeds = {name: tf.make_ndarray(value) for name, value in defaults.items()} | inputs
    return signature(**{name: tf.constant(value, specs[name].dtype)
                        for name, value in feeds.items()})


def test_layout_is_tf_servings(image_export):
    _, path = image_export
    base = os.path.dirname(path)
    assert os.path.basename(path) == "1"
    assert os.path.isfile(os.path.join(path, "saved_model.pb"))
    assert os.path.isdir(os.path.join(path, "variables"))
    assert os.listdir(base) == ["1"]  # no temporary folder left behind


@pytest.mark.parametrize("which", ["image", "points"])
def test_serving_default_equals_the_keras_generator(which, image_export, points_export):
    gan, path = image_export if which == "image" else points_export
    z = kgan.latent_batch(5, gan.latent_dim, seed=1)
    served = tf.saved_model.load(path).signatures["serving_default"](z=tf.constant(z))["samples"]
    assert served.dtype == tf.float32
    np.testing.assert_allclose(served.numpy(), gan.sampling_generator()(z, training=False),
                               atol=1e-5)


@pytest.mark.parametrize("which", ["image", "points"])
def test_only_generator_variables_are_exported(which, image_export, points_export):
    gan, path = image_export if which == "image" else points_export
    loaded = tf.saved_model.load(path)
    exported = sorted(int(np.prod(v.shape)) for v in loaded.variables)
    assert exported == sorted(int(np.prod(v.shape)) for v in gan.generator.variables)
    assert sum(exported) < gan.generator.count_params() + gan.discriminator.count_params()


def test_sample_signature(image_export):
    _, path = image_export
    sample = functools.partial(serve, path, "sample")
    out = sample(num_images=3, seed=7)
    images, pngs = out["images_uint8"].numpy(), out["png_bytes"].numpy()
    assert images.dtype == np.uint8 and images.shape == (3, 28, 28, 1)
    assert pngs.shape == (3,)
    for png, image in zip(pngs, images):
        np.testing.assert_array_equal(tf.io.decode_png(png).numpy(), image)
    again = sample(num_images=3, seed=7)["images_uint8"]
    np.testing.assert_array_equal(again.numpy(), images)
    other = sample(num_images=3, seed=8)["images_uint8"]
    assert not np.array_equal(other.numpy(), images)


@pytest.mark.parametrize("num_images", [0, -2, MAX_IMAGES + 1])
def test_bad_num_images_is_an_error_from_the_model(image_export, num_images):
    _, path = image_export
    with pytest.raises(tf.errors.InvalidArgumentError, match="num_images must be between 1 and"):
        serve(path, "sample", num_images=num_images, seed=1)


def test_points_export_has_no_image_signature(points_export):
    _, path = points_export
    assert set(tf.saved_model.load(path).signatures) == {"serving_default"}


def test_tf1_savedmodel_bundle_runs_signatures_by_tensor_name(image_export):
    gan, path = image_export
    z = kgan.latent_batch(4, gan.latent_dim, seed=2).numpy()
    with tf.Graph().as_default(), tf.compat.v1.Session() as session:
        meta = tf.compat.v1.saved_model.loader.load(session, ["serve"], path)
        default = meta.signature_def["serving_default"]
        samples = session.run(default.outputs["samples"].name,
                              {default.inputs["z"].name: z})
        sample = meta.signature_def["sample"]
        images, pngs = session.run(
            [sample.outputs["images_uint8"].name, sample.outputs["png_bytes"].name],
            {sample.inputs["num_images"].name: 2, sample.inputs["seed"].name: 7},
        )
        with pytest.raises(ValueError, match="Cannot feed value of shape"):
            session.run(default.outputs["samples"].name,
                        {default.inputs["z"].name: np.zeros((2, gan.latent_dim + 1), np.float32)})
    np.testing.assert_allclose(samples, gan.sampling_generator()(z, training=False), atol=1e-5)
    assert images.shape == (2, 28, 28, 1) and len(pngs) == 2
    np.testing.assert_array_equal(
        images, serve(path, "sample", num_images=2, seed=7, truncation=1.0)["images_uint8"])


def test_wrong_latent_width_is_refused(image_export):
    gan, path = image_export
    serve = tf.saved_model.load(path).signatures["serving_default"]
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"z must have shape \[batch, 100\]"):
        serve(z=tf.zeros((2, gan.latent_dim + 1)))


def test_saved_model_cli_lists_both_signatures(image_export):
    _, path = image_export
    shown = subprocess.run(
        [sys.executable, "-m", "tensorflow.python.tools.saved_model_cli", "show", "--dir", path,
         "--all"], capture_output=True, text=True, check=True).stdout

    def signature(name):
        return shown.split(f"signature_def['{name}']:", 1)[1].split("signature_def[", 1)[0]

    default, sample = signature("serving_default"), signature("sample")
    assert re.search(r"inputs\['z'\] tensor_info:\s+dtype: DT_FLOAT\s+shape: \(-1, 100\)", default)
    assert re.search(r"outputs\['samples'\] tensor_info:\s+dtype: DT_FLOAT\s+shape: \(-1, 28, 28, 1\)",
                     default)
    assert re.search(r"inputs\['num_images'\] tensor_info:\s+dtype: DT_INT32\s+shape: \(\)", sample)
    assert re.search(r"inputs\['seed'\] tensor_info:\s+dtype: DT_INT64\s+shape: \(\)", sample)
    assert re.search(r"outputs\['images_uint8'\] tensor_info:\s+dtype: DT_UINT8\s+shape: "
                     r"\(-1, 28, 28, 1\)", sample)
    assert re.search(r"outputs\['png_bytes'\] tensor_info:\s+dtype: DT_STRING\s+shape: \(-1\)",
                     sample)


def test_versions_are_never_overwritten(tmp_path):
    gan = _trained_points_gan()
    base = str(tmp_path / "model")
    first = export_generator(gan, base)
    saved_model = os.path.join(first, "saved_model.pb")
    with open(saved_model, "rb") as f:
        before = f.read()
    with pytest.raises(KganError, match="exists already; exports are never overwritten"):
        export_generator(gan, base, version=1)
    with open(saved_model, "rb") as f:
        assert f.read() == before
    assert export_generator(gan, base) == os.path.join(base, "2")
    assert export_generator(gan, base, version=10) == os.path.join(base, "10")
    assert export_generator(gan, base) == os.path.join(base, "11")


def test_a_crash_mid_write_leaves_no_version(tmp_path, monkeypatch):
    def crash(self, path, **kwargs):
        os.makedirs(os.path.join(path, "variables"))
        open(os.path.join(path, "saved_model.pb"), "wb").close()
        raise OSError("disk full")

    # ExportArchive() builds the backend's own archive class: patch that one.
    monkeypatch.setattr(type(keras.export.ExportArchive()), "write_out", crash)
    with pytest.raises(OSError, match="disk full"):
        export_generator(_trained_points_gan(), str(tmp_path / "model"))
    assert os.listdir(tmp_path / "model") == []


def test_cli_export_and_sample_from_the_export(tmp_path):
    run = str(tmp_path / "run")
    kgan.fit(dataset="gaussian", run_dir=run, epochs=1, batch_size=100, verbose=False)
    runner = CliRunner()
    result = runner.invoke(main, ["export", run, "--out", str(tmp_path / "exported" / "g")])
    assert result.exit_code == 0, result.output
    assert os.path.isfile(tmp_path / "exported" / "g" / "1" / "saved_model.pb")
    again = runner.invoke(main, ["export", run, "--out", str(tmp_path / "exported" / "g"),
                                 "--version", "1"])
    assert again.exit_code == 1 and "never overwritten" in again.output

    from_export, from_run = str(tmp_path / "e.npy"), str(tmp_path / "r.npy")
    for source, out in ((str(tmp_path / "exported" / "g"), from_export), (run, from_run)):
        result = runner.invoke(main, ["sample", source, "-n", "20", "--seed", "3", "--out", out])
        assert result.exit_code == 0, result.output
    np.testing.assert_allclose(np.load(from_export), np.load(from_run), atol=1e-5)


def _load_client():
    spec = importlib.util.spec_from_file_location(
        "serving_client", os.path.join(ROOT, "scripts", "serving_client.py"))
    client = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(client)
    return client


def test_rest_bodies_follow_tf_servings_documented_forms():
    client = _load_client()
    sample = json.loads(json.dumps(client.sample_request(4, 7)))
    # Columnar form: "inputs" maps each named input to its value; scalars stay scalars.
    assert sample == {"signature_name": "sample", "inputs": {"num_images": 4, "seed": 7}}
    z = np.arange(6, dtype=np.float32).reshape(3, 2)
    rows = json.loads(json.dumps(client.latent_request(z)))
    # Row form with a single named input: "instances" is the list of per-example values.
    assert rows == {"signature_name": "serving_default",
                    "instances": [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]}
    assert client.predict_url("http://h:8501/", "pokemon", 3) == (
        "http://h:8501/v1/models/pokemon/versions/3:predict")


def test_readme_requests_are_the_clients_bodies():
    with open(os.path.join(ROOT, "README.md")) as f:
        readme = f.read()
    client = _load_client()
    assert json.dumps(client.sample_request(4, 7)) in readme
    assert json.dumps(client.sample_request(4, 7, truncation=0.7)) in readme
    assert json.dumps(client.interpolate_request(1, 5, 12)) in readme
    assert json.dumps(client.latent_request([[0.5, -1.0]])) in readme


class _FakeServing(BaseHTTPRequestHandler):
    """Answers `:predict` as TF Serving's REST API does, with a real exported model."""

    export = None  # the SavedModel folder served

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        name = body.get("signature_name", "serving_default")
        signature = _loaded(self.export).signatures[name]
        if "inputs" in body:  # columnar request -> {"outputs": {name: value}}
            outputs = serve(self.export, name, **body["inputs"])
            reply = {"outputs": {k: self._json(k, v.numpy()) for k, v in outputs.items()}}
        else:  # row request -> {"predictions": [...]}
            specs = signature.structured_input_signature[1]
            rows = body["instances"]
            if isinstance(rows[0], dict):  # named inputs per instance
                columns = {name: [row[name] for row in rows] for name in specs}
            else:  # one named input
                (name,) = specs
                columns = {name: rows}
            inputs = {k: tf.constant(v, specs[k].dtype) for k, v in columns.items()}
            (value,) = signature(**inputs).values()
            reply = {"predictions": value.numpy().tolist()}
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    @staticmethod
    def _json(name, value):
        if name.endswith("_bytes"):
            return [{"b64": base64.b64encode(v).decode()} for v in value]
        return value.tolist()

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_serving():
    """A local stand-in for TF Serving's REST API; yields a function `serve(savedmodel_path)`
    that returns the server's address."""
    server = HTTPServer(("127.0.0.1", 0), _FakeServing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def start(path):
        _FakeServing.export = path
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    server.shutdown()
    server.server_close()


def test_client_round_trip_through_a_rest_server(image_export, fake_serving):
    gan, path = image_export
    client = _load_client()
    url = client.predict_url(fake_serving(path), "mnist")
    pngs = client.png_files(client.post(url, client.sample_request(2, 7)))
    z = kgan.latent_batch(2, gan.latent_dim, seed=0)
    predictions = client.post(url, client.latent_request(z))["predictions"]
    expected = serve(path, "sample", num_images=2, seed=7)["images_uint8"].numpy()
    np.testing.assert_array_equal(np.stack([tf.io.decode_png(p).numpy() for p in pngs]), expected)
    np.testing.assert_allclose(predictions, gan.sampling_generator()(z, training=False), atol=1e-5)
    for request, samples in (
            (client.sample_request(3, 7, truncation=0.5), gan.generate(3, seed=7, truncation=0.5)),
            (client.interpolate_request(2, 9, 4), kgan.interpolate(gan, seeds=[2, 9], frames=4))):
        pixels = np.stack([tf.io.decode_png(p).numpy()
                           for p in client.png_files(client.post(url, request))])
        assert np.abs(pixels.astype(int) - to_uint8(samples).numpy()).max() <= 1


def test_one_seed_gives_the_same_images_on_every_path(tmp_path, fake_serving, monkeypatch):
    write_image_folder(tmp_path / "images", count=16)
    run = str(tmp_path / "run")
    kgan.fit(dataset=f"folder:{tmp_path / 'images'}", preset="mnist", run_dir=run, epochs=1,
             batch_size=8, verbose=False)
    export = str(tmp_path / "exported" / "m")
    runner = CliRunner()
    assert runner.invoke(main, ["export", run, "--out", export]).exit_code == 0
    images = {}
    for name, source in (("kgan sample RUN", run), ("kgan sample EXPORT", export)):
        out = str(tmp_path / f"{len(images)}.npy")
        result = runner.invoke(main, ["sample", source, "-n", "6", "--seed", "11", "--out", out])
        assert result.exit_code == 0, result.output
        images[name] = to_uint8(np.load(out)).numpy()
    images["sample signature"] = serve(os.path.join(export, "1"), "sample", num_images=6,
                                       seed=11)["images_uint8"].numpy()
    server = fake_serving(os.path.join(export, "1"))
    monkeypatch.setattr(sys, "argv", ["serving_client.py", "--server", server, "--model", "m",
                                      "-n", "6", "--seed", "11", "--out-dir", str(tmp_path / "c")])
    _load_client().main()
    images["serving_client.py"] = np.stack([
        tf.io.decode_png((tmp_path / "c" / f"sample-{i:04d}.png").read_bytes()).numpy()
        for i in range(6)])
    reference = images.pop("kgan sample RUN")
    for name, pixels in images.items():
        # The run computes eagerly, the others in a graph: at most one step of 255 apart.
        assert np.abs(pixels.astype(int) - reference).max() <= 1, name
    assert reference.std() > 0  # real images, not a constant


def test_exported_generator_reads_the_newest_version(tmp_path):
    gan = _trained_points_gan()
    base = str(tmp_path / "gaussian")
    export_generator(gan, base)
    first = gan.generate(300, seed=4)
    gan.train_step(tf.constant(kgan.data.gaussian_points(32)))
    export_generator(gan, base)
    exported = ExportedGenerator(base)
    assert os.path.basename(exported.path) == "2" and exported.latent_dim == gan.latent_dim
    np.testing.assert_allclose(exported.generate(300, seed=4), gan.generate(300, seed=4), atol=1e-5)
    assert not np.allclose(exported.generate(300, seed=4), first, atol=1e-5)


def test_export_and_sampling_work_without_matplotlib(tmp_path):
    # A serving or export container without the plotting library: importing it fails.
    code = f"""
import sys
sys.modules["matplotlib"] = None
import kgan, kgan.export, kgan.sampling
from conftest import make_gaussian_gan
gan = make_gaussian_gan()
path = kgan.export_generator(gan, {str(tmp_path / "g")!r})
samples = kgan.sampling.load_generator(path).generate(5, seed=1)
kgan.sampling.write_samples(samples, {str(tmp_path / "s.npy")!r})
"""
    env = {**os.environ, "PYTHONPATH": os.path.dirname(__file__)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                            check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert np.load(tmp_path / "s.npy").shape == (5, 2)


def replay_warmup(path):
    """Runs every warmup request of the export at `path` through the model, checks that its
    outputs are finite, and returns the requests' signature names."""
    from tensorflow_serving.apis import prediction_log_pb2

    records = list(tf.data.TFRecordDataset(os.path.join(path, WARMUP_FILE)).as_numpy_iterator())
    signatures = []
    for record in records:
        request = prediction_log_pb2.PredictionLog.FromString(record).predict_log.request
        signatures.append(request.model_spec.signature_name)
        inputs = {name: tf.make_ndarray(tensor) for name, tensor in request.inputs.items()}
        outputs = serve(path, request.model_spec.signature_name, **inputs)
        for name, value in outputs.items():
            if name != "png_bytes":
                assert bool(tf.reduce_all(tf.math.is_finite(tf.cast(value, tf.float32)))), name
    return signatures


@pytest.mark.parametrize("which", ["image", "points"])
def test_warmup_records_are_prediction_logs_the_model_answers(which, image_export, points_export):
    _, path = image_export if which == "image" else points_export
    expected = ["serving_default"] * 3 + (["sample"] * 3 + ["interpolate"] * 3
                                          if which == "image" else [])
    assert replay_warmup(path) == expected


def test_export_takes_the_best_checkpoint_of_a_run(tmp_path):
    write_image_folder(tmp_path / "images", count=8)
    run = str(tmp_path / "run")
    kgan.fit(dataset=f"folder:{tmp_path / 'images'}", preset="mnist", run_dir=run, epochs=2,
             batch_size=4, save_every=0.008, verbose=False)  # a checkpoint after each epoch
    # Make best.keras the first epoch's, so that exporting the final model would show.
    best_path = os.path.join(run, "checkpoints", "best.keras")
    shutil.copy(os.path.join(run, "checkpoints", "epoch-0001.keras"), best_path)
    best = keras.saving.load_model(best_path)
    final = keras.saving.load_model(os.path.join(run, "model.keras"))
    runner = CliRunner()
    result = runner.invoke(main, ["export", run, "--checkpoint", "best", "--out",
                                  str(tmp_path / "exported")])
    assert result.exit_code == 0, result.output
    z = kgan.latent_batch(4, best.latent_dim, seed=0)
    served = tf.saved_model.load(str(tmp_path / "exported" / "1")).signatures["serving_default"]
    np.testing.assert_allclose(served(z=z)["samples"], best.generate(4, seed=0), atol=1e-5)
    assert not np.allclose(served(z=z)["samples"], final.generate(4, seed=0), atol=1e-5)
    kgan.fit(dataset="gaussian", run_dir=str(tmp_path / "plain"), epochs=1, verbose=False)
    result = runner.invoke(main, ["export", str(tmp_path / "plain"), "--checkpoint", "best",
                                  "--out", str(tmp_path / "x")])
    assert result.exit_code == 1 and "has no best.keras" in result.output
