"""After training: truncation, latent walks and image files, in Python, the CLI and the export."""

import itertools
import os

import numpy as np
import pytest
import tensorflow as tf
from click.testing import CliRunner
from PIL import Image
from test_cli import assert_one_line_error, invoke
from test_export import replay_warmup, serve

import kgan
from kgan.callbacks import diversity
from kgan.cli import main
from kgan.data.pipeline import to_uint8
from kgan.errors import KganError
from kgan.export import export_generator
from kgan.latents import latent_batch, seed_latents, slerp, walk


def _image_gan(conditional=False, class_input="concat"):
    """The mnist preset's 28x28 DCGAN after two steps on noise (EMA and BatchNorm on)."""
    preset = kgan.get_preset("mnist")
    classes = ()
    if conditional:
        preset = preset.with_overrides(conditional=True, class_input=class_input)
        classes = ("a", "b", "c")
    gan = kgan.build_gan(preset, seed=0, steps_per_epoch=2, class_names=classes)
    real = tf.random.stateless_uniform((8, 28, 28, 1), seed=(1, 2), minval=-1, maxval=1)
    labels = tf.constant([0, 1, 2, 0, 1, 2, 0, 1])
    for _ in range(2):
        gan.train_step((real, labels) if conditional else real)
    return gan


@pytest.fixture(scope="module")
def image_gan():
    return _image_gan()


@pytest.fixture(scope="module")
def conditional_gan():
    return _image_gan(conditional=True)


@pytest.fixture(scope="module")
def batchnorm_conditional_gan():
    return _image_gan(conditional=True, class_input="batchnorm")


@pytest.fixture(scope="module")
def saved(image_gan, tmp_path_factory):
    """The image GAN as a .keras file and as an export: `(keras_path, export_path)`."""
    folder = tmp_path_factory.mktemp("walks")
    path = str(folder / "gan.keras")
    image_gan.save(path)
    return path, export_generator(image_gan, str(folder / "exported"))


def test_truncation_one_is_todays_latent_batch_and_psi_scales_it():
    plain = tf.random.stateless_normal([6, 5], seed=tf.constant([3, 0], tf.int64))
    np.testing.assert_array_equal(latent_batch(6, 5, seed=3, truncation=1.0), plain)
    np.testing.assert_array_equal(latent_batch(6, 5, seed=3), plain)
    np.testing.assert_allclose(latent_batch(6, 5, seed=3, truncation=0.5), plain * 0.5)


@pytest.mark.parametrize("psi", [0.0, -0.5, 1.5])
def test_truncation_outside_zero_one_is_refused(psi):
    with pytest.raises(KganError, match=r"truncation must lie in \(0, 1\]"):
        latent_batch(2, 3, seed=0, truncation=psi)


def test_generate_at_psi_one_is_unchanged_and_variety_falls_with_psi(image_gan):
    np.testing.assert_array_equal(image_gan.generate(8, seed=4, truncation=1.0),
                                  image_gan.generate(8, seed=4))
    spread = [diversity(image_gan.generate(64, seed=4, truncation=psi))
              for psi in (1.0, 0.7, 0.4, 0.1)]
    assert all(b < a for a, b in itertools.pairwise(spread)), spread


def test_a_walk_starts_and_ends_on_its_waypoints_and_stays_on_the_sphere():
    points = seed_latents([1, 5, 9], 64)
    path = walk(points, frames=6).numpy()
    assert path.shape == (2 * 5 + 1, 64)
    np.testing.assert_array_equal(path[[0, 5, 10]], points.numpy())
    # The waypoints are each seed's one-sample latent batch.
    np.testing.assert_array_equal(points[1], latent_batch(1, 64, seed=5)[0])
    # Between two Gaussian vectors (nearly orthogonal in 64 dimensions) the norm stays near
    # theirs on the sphere and sags by about 1/sqrt(2) on the straight line.
    norms = np.linalg.norm(points.numpy(), axis=1)
    middle = np.linalg.norm(path[2:4], axis=1)
    assert middle.min() > 0.9 * norms[:2].min()
    straight = np.linalg.norm(walk(points[:2], 6, spherical=False).numpy()[2:4], axis=1)
    assert straight.max() < 0.85 * norms[:2].min()


def test_slerp_of_a_vector_with_itself_is_that_vector():
    a = tf.constant([0.3, -1.2, 2.0])
    np.testing.assert_allclose(slerp(a, a, tf.constant([0.0, 0.5, 1.0])), np.stack([a] * 3),
                               rtol=1e-6)


def test_walk_frames_equal_the_samples_of_their_seeds(image_gan):
    frames = kgan.interpolate(image_gan, seeds=[3, 8], frames=5)
    assert frames.shape == (5, 28, 28, 1)
    np.testing.assert_allclose(frames[0], image_gan.generate(1, seed=3)[0], atol=1e-6)
    np.testing.assert_allclose(frames[-1], image_gan.generate(1, seed=8)[0], atol=1e-6)
    assert np.abs(frames[2] - frames[0]).max() > 0.01  # it moves
    truncated = kgan.interpolate(image_gan, seeds=[3, 8], frames=5, truncation=0.5)
    np.testing.assert_allclose(truncated[0], image_gan.generate(1, seed=3, truncation=0.5)[0],
                               atol=1e-6)


@pytest.mark.parametrize("fixture", ["conditional_gan", "batchnorm_conditional_gan"])
def test_a_walk_between_classes_ends_on_each_class_at_one_latent_vector(fixture, request):
    gan = request.getfixturevalue(fixture)
    frames = kgan.interpolate(gan, labels=[0, 2, 1], frames=4, seed=6)
    assert frames.shape == (7, 28, 28, 1)
    for index, label in ((0, 0), (3, 2), (6, 1)):
        np.testing.assert_allclose(frames[index], gan.generate(1, seed=6, labels=label)[0],
                                   atol=1e-5)
    seeds = kgan.interpolate(gan, seeds=[1, 2], frames=3, label=2)
    np.testing.assert_allclose(seeds[-1], gan.generate(1, seed=2, labels=2)[0], atol=1e-6)


def test_walk_mistakes_are_kgan_errors(image_gan, conditional_gan):
    for kwargs, message in (({}, "give one of the two"),
                            ({"seeds": [1], "frames": 4}, "at least two waypoints"),
                            ({"seeds": [1, 2], "frames": 1}, "at least 2 frames"),
                            ({"labels": [0, 1]}, "needs a conditional generator")):
        with pytest.raises(KganError, match=message):
            kgan.interpolate(image_gan, **kwargs)
    with pytest.raises(KganError, match="outside"):
        kgan.interpolate(conditional_gan, labels=[0, 5])


def test_export_sample_takes_truncation_and_old_requests_keep_psi_one(image_gan, saved):
    _, path = saved
    reference = to_uint8(image_gan.generate(4, seed=2, truncation=0.6)).numpy()
    truncated = serve(path, "sample", num_images=4, seed=2, truncation=0.6)["images_uint8"]
    assert np.abs(truncated.numpy().astype(int) - reference).max() <= 1
    with pytest.raises(tf.errors.InvalidArgumentError, match="truncation must lie in"):
        serve(path, "sample", num_images=1, seed=0, truncation=0.0)
    # As TF Serving runs a request without the new input: the graph's default feeds it.
    with tf.Graph().as_default(), tf.compat.v1.Session() as session:
        meta = tf.compat.v1.saved_model.loader.load(session, ["serve"], path)
        sample = meta.signature_def["sample"]
        assert tf.make_ndarray(sample.defaults["truncation"]) == 1.0
        old = session.run(sample.outputs["images_uint8"].name,
                          {sample.inputs["num_images"].name: 4, sample.inputs["seed"].name: 2})
    full = serve(path, "sample", num_images=4, seed=2, truncation=1.0)["images_uint8"]
    np.testing.assert_array_equal(old, full.numpy())


def test_export_interpolate_equals_kgan_interpolate(saved, tmp_path):
    keras_path, path = saved
    out = str(tmp_path / "walk.npy")
    result = invoke("interpolate", keras_path, "--seeds", "4,9", "--frames", "6",
                    "--truncation", "0.8", "--out", out)
    assert result.exit_code == 0, result.output
    walked = to_uint8(np.load(out)).numpy()
    served = serve(path, "interpolate", seed_from=4, seed_to=9, frames=6,
                   truncation=0.8)["images_uint8"].numpy()
    assert served.shape == walked.shape == (6, 28, 28, 1)
    assert np.abs(served.astype(int) - walked).max() <= 1
    with pytest.raises(tf.errors.InvalidArgumentError, match="frames must be between 2 and"):
        serve(path, "interpolate", seed_from=4, seed_to=9, frames=1)
    assert replay_warmup(path).count("interpolate") == 3


def test_cli_interpolate_writes_a_gif_a_strip_and_frames(saved, tmp_path):
    keras_path, path = saved
    runner = CliRunner()
    for out in ("walk.gif", "strip.png", "frames/"):
        result = runner.invoke(main, ["interpolate", keras_path, "--seeds", "1,2,3", "--frames",
                                      "4", "--out", f"{tmp_path}/{out}"])
        assert result.exit_code == 0, result.output
        assert "wrote 7 frames" in result.output
    reference = to_uint8(kgan.interpolate(kgan.sampling.load_gan(keras_path), seeds=[1, 2, 3],
                                          frames=4)).numpy()
    with Image.open(tmp_path / "walk.gif") as gif:
        assert gif.n_frames == 7 and gif.size == (28, 28)
    strip = np.asarray(Image.open(tmp_path / "strip.png"))
    assert strip.shape == (28, 7 * 28)
    np.testing.assert_array_equal(strip[:, 28:56], reference[1, ..., 0])
    names = sorted(os.listdir(tmp_path / "frames"))
    assert names == [f"{i:04d}.png" for i in range(7)]
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "frames" / "0006.png")),
                                  reference[6, ..., 0])
    # An export walks through seeds too, to within a pixel level of the .keras file.
    result = runner.invoke(main, ["interpolate", path, "--seeds", "1,2,3", "--frames", "4",
                                  "--out", str(tmp_path / "exported.npy")])
    assert result.exit_code == 0, result.output
    exported = to_uint8(np.load(tmp_path / "exported.npy")).numpy()
    assert np.abs(exported.astype(int) - reference).max() <= 1


def test_cli_sample_writes_one_png_per_sample(saved, tmp_path):
    keras_path, _ = saved
    out = str(tmp_path / "pngs") + "/"
    assert invoke("sample", keras_path, "-n", "3", "--seed", "5", "--truncation", "0.7",
                  "--out", out).exit_code == 0
    assert invoke("sample", keras_path, "-n", "3", "--seed", "5", "--truncation", "0.7",
                  "--out", str(tmp_path / "s.npy")).exit_code == 0
    expected = to_uint8(np.load(tmp_path / "s.npy")).numpy()
    assert sorted(os.listdir(out)) == ["0000.png", "0001.png", "0002.png"]
    for i in range(3):
        np.testing.assert_array_equal(np.asarray(Image.open(f"{out}{i:04d}.png")),
                                      expected[i, ..., 0])


@pytest.mark.parametrize("args, message", [
    (["sample", "{k}", "--truncation", "0", "--out", "{t}/x.png"], "0<x<=1"),
    (["sample", "{k}", "--truncation", "1.2", "--out", "{t}/x.png"], "0<x<=1"),
    (["interpolate", "{k}", "--seeds", "7", "--out", "{t}/x.gif"], "at least two seeds"),
    (["interpolate", "{k}", "--seeds", "1,x", "--out", "{t}/x.gif"], "comma-separated"),
    (["interpolate", "{k}", "--seeds", "1,2", "--out", "{t}/x.mp4"], "--out must end in .gif"),
    (["interpolate", "{k}", "--seeds", "1,2", "--frames", "1", "--out", "{t}/x.gif"], "x>=2"),
    (["interpolate", "{k}", "--labels", "0,1", "--out", "{t}/x.gif"], "no classes"),
    (["interpolate", "{k}", "--out", "{t}/x.gif"], "give one of the two"),
    (["interpolate", "{e}", "--seeds", "1,2", "--label", "0", "--out", "{t}/x.gif"],
     "no classes"),
])
def test_walk_and_truncation_mistakes_are_one_line(saved, tmp_path, args, message):
    keras_path, path = saved
    args = [a.format(k=keras_path, e=path, t=tmp_path) for a in args]
    assert_one_line_error(invoke(*args), message)


def test_points_go_to_npy_only(tmp_path):
    from conftest import make_gaussian_gan

    path = str(tmp_path / "g.keras")
    make_gaussian_gan().save(path)
    assert invoke("interpolate", path, "--seeds", "1,2", "--out",
                  str(tmp_path / "w.npy")).exit_code == 0
    assert np.load(tmp_path / "w.npy").shape == (16, 2)
    assert_one_line_error(invoke("interpolate", path, "--seeds", "1,2", "--out",
                                 str(tmp_path / "w.gif")), "written as .npy only")
    assert_one_line_error(invoke("sample", path, "--out", str(tmp_path / "d") + "/"),
                          "one PNG per image")


def test_output_suffixes_are_read_in_any_case(saved, tmp_path):
    keras_path, _ = saved
    assert invoke("sample", keras_path, "-n", "2", "--out", str(tmp_path / "s.NPY")).exit_code == 0
    assert np.load(tmp_path / "s.NPY").shape == (2, 28, 28, 1)
    assert invoke("interpolate", keras_path, "--seeds", "1,2", "--frames", "3", "--out",
                  str(tmp_path / "w.GIF")).exit_code == 0
    with Image.open(tmp_path / "w.GIF") as gif:
        assert gif.format == "GIF" and gif.n_frames == 3
