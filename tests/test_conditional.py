"""Conditional GANs: labels from the data through training, sampling, export and evaluation."""

import json
import os
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf
from click.testing import CliRunner
from conftest import assert_weights_equal
from imagedata import CLASS_SHAPES, write_class_folder, write_image_folder
from PIL import Image
from test_export import _load_client, fake_serving, replay_warmup  # noqa: F401 -- a fixture
from test_train import _crash_at, _Interrupt

import kgan
from kgan import callbacks as kcallbacks
from kgan import classifier as kclassifier
from kgan import cli, latents, sampling
from kgan.data import load_data, mixture_points
from kgan.data.gaussian import MIXTURE_CLASSES, MIXTURE_MEANS
from kgan.data.pipeline import to_uint8
from kgan.errors import KganError
from kgan.evaluate import evaluate
from kgan.export import ExportedGenerator, export_generator
from kgan.nets import NETWORKS
from kgan.nets.builder import spectrally_normalized
from kgan.nets.conditional import ClassModulation
from kgan.rundir import Position

FAMILIES = {"gaussian": (2, (2,)), "mlp": (8, (28, 28, 1)), "dcgan28": (8, (28, 28, 3)),
            "dcgan64": (8, (64, 64, 3)), "resnet64": (8, (64, 64, 3))}


@pytest.fixture(scope="module")
def mixture_run(tmp_path_factory):
    """The mixture trained conditionally with the gaussian preset's recipe, 30 epochs (~4 s)."""
    run = str(tmp_path_factory.mktemp("mixture") / "run")
    gan = kgan.fit(dataset="mixture", conditional=True, run_dir=run, epochs=30, save_every=30,
                   seed=0, verbose=False)
    return gan, run


def test_every_class_lands_on_its_own_component(mixture_run):
    gan, _ = mixture_run
    for label, mean in enumerate(MIXTURE_MEANS):
        points = gan.generate(2000, seed=1, labels=label)
        nearest = np.argmin(((points[:, None] - MIXTURE_MEANS[None]) ** 2).sum(-1), axis=1)
        assert np.linalg.norm(points.mean(0) - mean) < 0.1, MIXTURE_CLASSES[label]
        assert (nearest == label).mean() > 0.99, MIXTURE_CLASSES[label]


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_conditional_networks_take_labels_and_round_trip(family):
    latent_dim, shape = FAMILIES[family]
    keras.utils.set_random_seed(0)
    generator, discriminator = NETWORKS[family](latent_dim, shape, num_classes=3)
    z, labels = tf.zeros((3, latent_dim)), tf.range(3)
    samples = generator([z, labels])
    assert tuple(samples.shape) == (3, *shape)
    # The label alone changes the sample: the embedding reaches the output.
    assert not np.allclose(samples[0], samples[1])
    assert tuple(discriminator([samples, labels]).shape) == (3, 1)
    for network in (generator, discriminator):
        clone = network.__class__.from_config(network.get_config())
        assert clone.get_config() == network.get_config()
    normalised = spectrally_normalized(discriminator)
    assert any(isinstance(layer, keras.layers.SpectralNormalization) for layer in normalised.layers)
    assert tuple(normalised([samples, labels], training=True).shape) == (3, 1)


def test_conditional_batchnorm_feeds_z_alone_and_the_class_to_every_batchnorm():
    keras.utils.set_random_seed(0)
    generator, _ = NETWORKS["dcgan28"](100, (28, 28, 1), num_classes=3, class_input="batchnorm")
    modulations = [layer for layer in generator.layers if isinstance(layer, ClassModulation)]
    assert len(modulations) == 3 == sum(isinstance(layer, keras.layers.BatchNormalization)
                                        for layer in generator.layers)
    # The first convolution sees z's 100 values, not z and the embedding's 200.
    first = next(layer for layer in generator.layers
                 if isinstance(layer, keras.layers.Conv2DTranspose))
    assert tuple(first.kernel.shape) == (4, 4, 128, 100)
    z = tf.random.stateless_normal((3, 100), seed=(0, 1))
    # It starts as an unconditional generator: the projections are zero.
    np.testing.assert_array_equal(generator([z, tf.range(3)]), generator([z, tf.zeros(3, "int32")]))
    for layer in modulations:
        layer.set_weights([np.full(w.shape, 0.01, np.float32) for w in layer.get_weights()])
    samples = generator([z[:1], tf.constant([0])]), generator([z[:1], tf.constant([1])])
    assert not np.allclose(*samples)
    clone = keras.Model.from_config(generator.get_config())
    assert clone.get_config() == generator.get_config()
    clone.set_weights(generator.get_weights())
    np.testing.assert_allclose(clone([z[:1], tf.constant([1])]), samples[1], atol=1e-6)


def test_conditional_batchnorm_needs_batchnorm_and_a_known_class_input():
    with pytest.raises(KganError, match="needs a generator with BatchNorm"):
        NETWORKS["gaussian"](2, (2,), num_classes=3, class_input="batchnorm")
    for refuse in (lambda: kgan.get_preset("mnist").with_overrides(class_input="film"),
                   lambda: NETWORKS["dcgan28"](8, (28, 28, 1), num_classes=3, class_input="film")):
        with pytest.raises(KganError, match="unknown class_input 'film'"):
            refuse()


def test_gan_config_and_keras_file_keep_the_classes(mixture_run, tmp_path):
    gan, _ = mixture_run
    config = gan.get_config()
    assert config["num_classes"] == 4 and config["class_names"] == list(MIXTURE_CLASSES)
    assert kgan.GAN.from_config(config).get_config() == config
    path = str(tmp_path / "gan.keras")
    gan.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.class_names == list(MIXTURE_CLASSES)
    np.testing.assert_array_equal(loaded.generate(8, seed=3, labels=2),
                                  gan.generate(8, seed=3, labels=2))


def test_labels_are_checked(mixture_run):
    gan, _ = mixture_run
    with pytest.raises(KganError, match=r"label 4 is outside \[0, 4\)"):
        gan.generate(2, seed=0, labels=4)
    with pytest.raises(KganError, match="3 samples need 3 labels"):
        gan.generate(3, seed=0, labels=[0, 1])
    in_turn = sampling.generate_labelled(gan, 6, seed=0)[1]
    np.testing.assert_array_equal(in_turn, [0, 1, 2, 3, 0, 1])


def test_an_unconditional_gan_warns_once_about_labels_and_a_conditional_one_needs_them():
    points, labels = mixture_points(256)
    dataset = tf.data.Dataset.from_tensor_slices((points, labels)).batch(64)
    plain = kgan.build_gan(kgan.get_preset("gaussian"), seed=0, steps_per_epoch=4)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plain.fit(dataset, epochs=2, verbose=0)
    assert [str(w.message) for w in caught if "ignores the labels" in str(w.message)]
    conditional = kgan.build_gan(kgan.get_preset("gaussian").with_overrides(conditional=True),
                                 seed=0, steps_per_epoch=4, class_names=MIXTURE_CLASSES)
    with pytest.raises(KganError, match="trains on \\(samples, labels\\) batches"):
        conditional.fit(tf.data.Dataset.from_tensor_slices(points).batch(64), epochs=1, verbose=0)


def test_folder_classes_are_its_sorted_subfolders(tmp_path):
    write_class_folder(tmp_path / "shapes", per_class=2)
    examples = load_data(f"folder:{tmp_path / 'shapes'}", (28, 28, 3))
    assert examples.class_names == tuple(sorted(CLASS_SHAPES))
    np.testing.assert_array_equal(examples.labels, [0, 0, 1, 1, 2, 2])


def test_unlabelled_data_is_one_clear_error(tmp_path):
    with pytest.raises(KganError, match="dataset 'gaussian' has no class labels"):
        kgan.fit(dataset="gaussian", conditional=True, run_dir=str(tmp_path / "a"), verbose=False)
    write_image_folder(tmp_path / "flat", count=4)
    (tmp_path / "flat" / "part0" / "img0.png").rename(tmp_path / "flat" / "loose.png")
    result = CliRunner().invoke(cli.main, ["fit", "--dataset", f"folder:{tmp_path / 'flat'}",
                                           "--conditional", "--run-dir", str(tmp_path / "b")])
    assert result.exit_code == 1 and "has no class labels" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_mnist_takes_tfds_labels(monkeypatch):
    import tensorflow_datasets as tfds

    from kgan.data import tfds_images

    monkeypatch.setattr(tfds_images, "unreachable", lambda url: None)
    with tfds.testing.mock_data(num_examples=12):
        examples = load_data("mnist", (28, 28, 1))
    assert examples.class_names == tuple(str(i) for i in range(10))
    assert examples.labels.shape == (12,) and examples.labels.max() < 10


def test_resume_continues_a_conditional_run_exactly(tmp_path, monkeypatch):
    options = {"dataset": "mixture", "conditional": True, "epochs": 2, "batch_size": 200,
               "seed": 3, "verbose": False, "checkpoint_minutes": 1e-9}
    straight = kgan.fit(run_dir=str(tmp_path / "straight"), **{**options,
                                                                "checkpoint_minutes": 0})
    run = str(tmp_path / "interrupted")
    with monkeypatch.context() as patch:
        patch.setattr(kcallbacks, "Checkpoint", _crash_at(Position(1, 4)))  # mid-epoch
        with pytest.raises(_Interrupt):
            kgan.fit(run_dir=run, **options)
    resumed = kgan.resume(run, verbose=False)
    assert_weights_equal(resumed.get_weights(), straight.get_weights())
    assert (tmp_path / "interrupted" / "history.csv").read_bytes() == (
        tmp_path / "straight" / "history.csv").read_bytes()


def test_cli_sample_by_label_name_and_number(mixture_run, tmp_path):
    gan, run = mixture_run
    runner = CliRunner()
    for label in ("west", "2"):
        out = str(tmp_path / f"{label}.npy")
        result = runner.invoke(cli.main, ["sample", run, "-n", "5", "--label", label,
                                          "--out", out])
        assert result.exit_code == 0, result.output
        np.testing.assert_array_equal(np.load(out), gan.generate(5, seed=0, labels=2))
    result = runner.invoke(cli.main, ["sample", run, "--label", "up", "--out",
                                      str(tmp_path / "x.png")])
    assert result.exit_code == 1 and "unknown label 'up'" in result.output


def test_export_signatures_take_labels_and_match_kgan_sample(tmp_path):
    write_class_folder(tmp_path / "shapes", per_class=4)
    gan = kgan.fit(dataset=f"folder:{tmp_path / 'shapes'}", preset="mnist", conditional=True,
                   run_dir=str(tmp_path / "run"), epochs=1, batch_size=4, verbose=False)
    path = export_generator(gan, str(tmp_path / "exported"))
    with open(os.path.join(path, "assets.extra", "class_names.json")) as f:
        assert json.load(f) == sorted(CLASS_SHAPES)
    z = kgan.latent_batch(3, gan.latent_dim, seed=5).numpy()
    labels = np.array([2, 0, 1], np.int32)
    with tf.Graph().as_default(), tf.compat.v1.Session() as session:
        meta = tf.compat.v1.saved_model.loader.load(session, ["serve"], path)
        default, sample = meta.signature_def["serving_default"], meta.signature_def["sample"]
        samples = session.run(default.outputs["samples"].name,
                              {default.inputs["z"].name: z, default.inputs["label"].name: labels})
        images = session.run(sample.outputs["images_uint8"].name,
                             {sample.inputs["num_images"].name: 3, sample.inputs["seed"].name: 5,
                              sample.inputs["label"].name: 1})
        in_turn = session.run(sample.outputs["images_uint8"].name,
                              {sample.inputs["num_images"].name: 3, sample.inputs["seed"].name: 5,
                               sample.inputs["label"].name: -1})
        for bad in (3, -2):
            with pytest.raises(tf.errors.InvalidArgumentError, match="labels must lie in"):
                session.run(sample.outputs["images_uint8"].name,
                            {sample.inputs["num_images"].name: 1, sample.inputs["seed"].name: 0,
                             sample.inputs["label"].name: bad})
        # The session survived the bad requests, as a server does.
        again = session.run(default.outputs["samples"].name,
                            {default.inputs["z"].name: z, default.inputs["label"].name: labels})
    np.testing.assert_allclose(samples, gan.generate(3, seed=5, labels=labels), atol=1e-5)
    np.testing.assert_array_equal(again, samples)
    # The graph and eager runs may round a pixel apart.
    for pixels, label in ((images, 1), (in_turn, None)):
        reference = keras.ops.convert_to_numpy(to_uint8(gan.generate(3, seed=5, labels=label)))
        assert np.abs(pixels.astype(int) - reference).max() <= 1
    assert replay_warmup(path) == ["serving_default"] * 3 + ["sample"] * 3 + ["interpolate"] * 3
    exported = ExportedGenerator(path)
    assert exported.class_names == sorted(CLASS_SHAPES)
    np.testing.assert_allclose(exported.generate(3, seed=5, labels=labels), samples, atol=1e-6)
    with pytest.raises(KganError, match="outside"):
        exported.generate(2, seed=0, labels=7)


@pytest.mark.slow
def test_a_short_conditional_dcgan_run_draws_its_classes(tmp_path, monkeypatch):
    # 384 images of three shapes in three colours; 360 steps of the conditional DCGAN-28 with
    # its conditional recipe (hinge, batch 32, lr 1e-3, EMA, spectral norm, betas (0, 0.9),
    # conditional BatchNorm). On a 2-core EPYC (family 26) this test's run scored 0.903; with
    # the class embedding concatenated to z instead (`class_input="concat"`, the recipe
    # before) 0.803, and on these shapes spectral norm without those betas scored 0.33 to
    # 0.35, as a broken conditioning would (scripts/RESULTS.md). Chance: 1/3.
    write_class_folder(tmp_path / "shapes", per_class=128)
    dataset = f"folder:{tmp_path / 'shapes'}"
    run = tmp_path / "run"
    gan = kgan.fit(dataset=dataset, preset="mnist", conditional=True, run_dir=str(run),
                   sample_shape=(28, 28, 3), epochs=30, eval_every=0, precision="fp32",
                   seed=0, verbose=False)
    assert gan.step == 360 and gan.loss_name == "hinge"
    # The grid: one row per class, eight columns.
    assert Image.open(run / "samples" / "img-000011520.png").size == (8 * 28, 3 * 28)
    record = evaluate(gan, dataset, ["swd"], num_samples=300, record_dir=str(run), verbose=False)
    assert record["classifier_accuracy"] > 0.95
    assert record["label_accuracy"] > 0.85
    assert record["swd_intra"] > 0 and (run / "classifier.keras").is_file()
    # The cached classifier is reused, not trained again.
    monkeypatch.setattr(kclassifier, "train_classifier", None)
    again = evaluate(gan, dataset, ["swd"], num_samples=300, record_dir=str(run), verbose=False)
    assert again["label_accuracy"] == record["label_accuracy"]


def test_rest_client_sends_labels_as_the_readme_shows(mixture_run, tmp_path, fake_serving):  # noqa: F811
    gan, _ = mixture_run
    client = _load_client()
    with open(os.path.join(os.path.dirname(__file__), os.pardir, "README.md")) as f:
        readme = f.read()
    assert json.dumps(client.sample_request(4, 7, 3)) in readme
    assert json.dumps(client.latent_request([[0.5, -1.0]], [2])) in readme
    path = export_generator(gan, str(tmp_path / "exported"))
    url = client.predict_url(fake_serving(path), "mixture")
    z = kgan.latent_batch(6, gan.latent_dim, seed=1)
    labels = [3, 3, 0, 1, 2, 0]
    predictions = client.post(url, client.latent_request(z, labels))["predictions"]
    np.testing.assert_allclose(predictions, gan.generate(6, seed=1, labels=labels), atol=1e-5)


@pytest.mark.parametrize("num_classes, rows", [(3, [0, 1, 2]), (25, [0, 3, 5, 8, 11, 13, 16, 19, 21, 24])])
def test_a_grid_has_one_row_per_class_and_one_latent_vector_per_column(num_classes, rows):
    z, labels = latents.grid_inputs(latent_dim=4, num_classes=num_classes, columns=8, seed=2)
    assert z.shape == (8 * len(rows), 4)
    np.testing.assert_array_equal(labels.reshape(len(rows), 8), np.repeat([rows], 8, axis=0).T)
    by_row = z.reshape(len(rows), 8, 4)
    np.testing.assert_array_equal(by_row, np.broadcast_to(by_row[0], by_row.shape))
    assert len(np.unique(by_row[0], axis=0)) == 8  # the columns differ

