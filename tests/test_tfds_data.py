"""The Pokemon TFDS builder on dummy sprites of its own, and MNIST under TFDS' mock data."""

import hashlib
import os
import shutil
import tempfile
import time

import numpy as np
import pytest
import tensorflow_datasets as tfds
from imagedata import write_sprite_folder

from kgan.data import load_examples, tfds_images
from kgan.data.pokemon import Pokemon
from kgan.errors import KganError

# Dummy data, made once per test session: the extracted layout (the manual path) and the
# archive as the download would deliver it.
_DUMMY = tempfile.mkdtemp(prefix="kgan-pokemon-")
MANUAL = os.path.join(_DUMMY, "manual")
DOWNLOAD = os.path.join(_DUMMY, "download")
COUNT = write_sprite_folder(MANUAL)
os.makedirs(DOWNLOAD)
ARCHIVE = shutil.make_archive(os.path.join(DOWNLOAD, "pokemon"), "zip", MANUAL, "pokemon")
with open(ARCHIVE, "rb") as f:
    ARCHIVE_SHA1 = hashlib.sha1(f.read()).hexdigest()


class PokemonManualDirTest(tfds.testing.DatasetBuilderTestCase):
    """The manual directory holds the extracted `pokemon/` folder."""

    DATASET_CLASS = Pokemon
    EXAMPLE_DIR = MANUAL
    SPLITS = {"train": COUNT}  # noqa: RUF012 -- TFDS reads it as a class attribute
    SKIP_CHECKSUMS = True  # the builder checks d2l's SHA-1 itself


class _DownloadedPokemon(Pokemon):
    """The builder with the dummy archive's SHA-1 in place of d2l's."""

    ARCHIVE_SHA1 = ARCHIVE_SHA1


class PokemonDownloadTest(tfds.testing.DatasetBuilderTestCase):
    """No manual data: the archive is 'downloaded' (mocked), its SHA-1 checked, extracted."""

    DATASET_CLASS = _DownloadedPokemon
    EXAMPLE_DIR = DOWNLOAD  # no pokemon/ or pokemon.zip at its top: the download path runs
    DL_DOWNLOAD_RESULT = "pokemon.zip"  # extract() stays real: it unpacks the dummy archive
    SPLITS = {"train": COUNT}  # noqa: RUF012 -- TFDS reads it as a class attribute
    SKIP_CHECKSUMS = True


def test_download_with_the_wrong_sha1_is_refused(tmp_path):
    # d2l's real SHA-1 against the dummy archive: the builder must refuse it.
    builder = Pokemon(data_dir=str(tmp_path / "tfds"))
    manager = tfds.download.DownloadManager(download_dir=str(tmp_path / "dl"))
    manager.download = lambda url: ARCHIVE
    with pytest.raises(ValueError, match="expected c065c0e2"):
        builder._sprite_root(manager)


@pytest.mark.parametrize("source", ["folder", "archive"])
def test_load_pokemon_from_the_manual_directory(tmp_path, source):
    data_dir = tmp_path / "data"
    if source == "folder":
        shutil.copytree(os.path.join(MANUAL, "pokemon"), data_dir / "pokemon")
    else:
        os.makedirs(data_dir)
        shutil.copy(ARCHIVE, data_dir / "pokemon.zip")
    images = load_examples("pokemon", (64, 64, 3), data_dir=str(data_dir))
    assert images.shape == (COUNT, 64, 64, 3) and images.dtype == np.uint8
    # The RGBA and palette sprites' transparent corners were put on white; gray ones are black.
    white_corners = (images[:, 0, 0] == 255).all(axis=-1)
    assert white_corners.sum() == COUNT * 2 // 3


def test_mnist_under_mock_data(monkeypatch):
    # mock_data stands in for TFDS' download, not for kgan's check that the server answers.
    monkeypatch.setattr(tfds_images, "unreachable", lambda url: None)
    with tfds.testing.mock_data(num_examples=12):
        images = load_examples("mnist", (28, 28, 1))
    assert images.shape == (12, 28, 28, 1) and images.dtype == np.uint8


def test_missing_pokemon_data_names_what_was_tried(tmp_path, monkeypatch):
    def offline(self, url):
        raise OSError("no route to host")

    monkeypatch.setattr(tfds_images, "unreachable", lambda url: None)  # the server answers ...
    monkeypatch.setattr(tfds.download.DownloadManager, "download", offline)  # ... then fails
    with pytest.raises(KganError) as error:
        load_examples("pokemon", (64, 64, 3), data_dir=str(tmp_path))
    message = str(error.value)
    assert "\n" not in message
    assert str(tmp_path) in message and Pokemon.URL in message and "--data-dir" in message


def test_a_failed_mnist_download_names_the_data_dir(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("connection reset")

    monkeypatch.setattr(tfds_images, "unreachable", lambda url: None)  # the server answers
    monkeypatch.setattr(tfds.core.DatasetBuilder, "download_and_prepare", broken)
    with pytest.raises(KganError, match=f"cannot load mnist: not prepared in {tmp_path}"):
        load_examples("mnist", (28, 28, 1), data_dir=str(tmp_path))


@pytest.mark.parametrize("name", ["pokemon", "mnist", "fashion_mnist"])
def test_an_unreachable_download_fails_fast_in_one_line(tmp_path, monkeypatch, name):
    # A name that never resolves (RFC 2606), as every name on a machine without network.
    blocked = "http://kgan-test.invalid/data"
    builder = Pokemon if name == "pokemon" else tfds.builder_cls(name)
    monkeypatch.setattr(builder, "URL", blocked)
    start = time.monotonic()
    with pytest.raises(KganError) as error:
        load_examples(name, (28, 28, 1), data_dir=str(tmp_path))
    assert time.monotonic() - start < 60
    message = str(error.value)
    assert "\n" not in message and "--data-dir" in message
    assert f"cannot reach {blocked}" in message or f"{blocked} (cannot reach it" in message
