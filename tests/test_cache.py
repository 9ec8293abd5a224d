"""The disk cache of decoded data sets: a hit skips decoding, any change to the files misses."""

import os
import shutil

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image
from imagedata import write_class_folder, write_image_folder, write_sprite_folder

from kgan.cli import main
from kgan.data import cache, images, load_data, tfds_images


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv(cache.CACHE_ENV, str(folder))
    return folder


def _no_decoding(monkeypatch, module, name):
    """Makes decoding through `module.name` fail: a load that still succeeds was a hit."""

    def refused(*args, **kwargs):
        raise AssertionError("decoded again")

    monkeypatch.setattr(module, name, refused)


def _assert_same(a, b):
    np.testing.assert_array_equal(a.values, b.values)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert a.class_names == b.class_names


def test_a_second_load_of_a_folder_comes_from_the_cache(tmp_path, cache_dir, monkeypatch):
    write_class_folder(tmp_path / "shapes", per_class=4)
    first = load_data(f"folder:{tmp_path / 'shapes'}", (28, 28, 3))
    assert len(os.listdir(cache_dir)) == 1
    _no_decoding(monkeypatch, images, "load_images")
    second = load_data(f"folder:{tmp_path / 'shapes'}", (28, 28, 3))
    _assert_same(first, second)
    assert second.class_names == ("blue-bar", "green-bar", "red-square")


def test_an_unlabelled_folder_round_trips(tmp_path, cache_dir, monkeypatch):
    (tmp_path / "flat").mkdir()
    write_image_folder(tmp_path / "flat" / "inner", 4)
    shutil.copy(next((tmp_path / "flat" / "inner" / "part0").iterdir()), tmp_path / "flat" / "top.png")
    first = load_data(f"folder:{tmp_path / 'flat'}", (16, 16, 1))
    _no_decoding(monkeypatch, images, "load_images")
    second = load_data(f"folder:{tmp_path / 'flat'}", (16, 16, 1))
    assert first.labels is None and second.labels is None and second.class_names == ()
    np.testing.assert_array_equal(first.values, second.values)


def test_a_changed_folder_or_shape_is_decoded_again(tmp_path, cache_dir):
    root = tmp_path / "shapes"
    write_class_folder(root, per_class=3)
    assert len(load_data(f"folder:{root}", (28, 28, 3))) == 9
    write_class_folder(root, per_class=5, seed=1)  # rewrites three files per class, adds two
    assert len(load_data(f"folder:{root}", (28, 28, 3))) == 15
    (root / "red-square" / "4.png").unlink()
    assert len(load_data(f"folder:{root}", (28, 28, 3))) == 14
    # The same names, one file's pixels changed (and its modification time, in case the
    # rewrite falls within the file system's clock tick).
    edited = root / "red-square" / "0.png"
    Image.new("RGB", (28, 28), (0, 0, 0)).save(edited)
    os.utime(edited, ns=(0, edited.stat().st_mtime_ns + 10**9))
    examples = load_data(f"folder:{root}", (28, 28, 3))
    assert (examples.values[examples.labels == 2] == 0).all(axis=(1, 2, 3)).sum() == 1
    assert load_data(f"folder:{root}", (14, 14, 3)).values.shape == (14, 14, 14, 3)
    assert len(os.listdir(cache_dir)) == 2  # one entry per folder and shape, rewritten


def test_a_folder_with_unreadable_files_is_not_cached(tmp_path, cache_dir, capsys):
    write_image_folder(tmp_path / "mixed", 4, corrupt=1)
    for _ in range(2):
        assert len(load_data(f"folder:{tmp_path / 'mixed'}", (16, 16, 3))) == 4
        assert "skipped 1 of 5 images" in capsys.readouterr().err  # at every run
    assert not cache_dir.exists()


def test_a_broken_entry_is_a_miss_and_rewritten(tmp_path, cache_dir):
    write_class_folder(tmp_path / "shapes", per_class=2)
    first = load_data(f"folder:{tmp_path / 'shapes'}", (28, 28, 3))
    (entry,) = cache_dir.iterdir()
    entry.write_bytes(entry.read_bytes()[:100])  # truncated, as by a full disk
    _assert_same(first, load_data(f"folder:{tmp_path / 'shapes'}", (28, 28, 3)))
    with np.load(entry) as rewritten:
        assert len(rewritten["values"]) == 6


def test_an_unwritable_cache_warns_and_still_loads(tmp_path, monkeypatch, capsys):
    (tmp_path / "file").write_text("not a folder")
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "file" / "cache"))
    write_class_folder(tmp_path / "shapes", per_class=2)
    assert len(load_data(f"folder:{tmp_path / 'shapes'}", (28, 28, 3))) == 6
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot cache" in err and "KGAN_CACHE=off" in err


def test_off_reads_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.CACHE_ENV, "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    write_class_folder(tmp_path / "shapes", per_class=2)
    load_data(f"folder:{tmp_path / 'shapes'}", (28, 28, 3))
    assert not (tmp_path / "xdg").exists()
    monkeypatch.delenv(cache.CACHE_ENV)
    assert cache.cache_folder() == str(tmp_path / "xdg" / "kgan")


def test_prepared_pokemon_come_from_the_cache(tmp_path, cache_dir, monkeypatch):
    write_sprite_folder(tmp_path / "data")
    first = load_data("pokemon", (32, 32, 3), data_dir=str(tmp_path / "data"))
    assert first.class_names == ("001", "002")
    _no_decoding(monkeypatch, tfds_images, "dataset_to_arrays")
    _assert_same(first, load_data("pokemon", (32, 32, 3), data_dir=str(tmp_path / "data")))


def test_entries_of_an_older_decoding_are_decoded_again(tmp_path, cache_dir, monkeypatch):
    write_class_folder(tmp_path / "shapes", per_class=2)
    load_data(f"folder:{tmp_path / 'shapes'}", (28, 28, 3))
    monkeypatch.setattr(cache, "DECODING_VERSION", cache.DECODING_VERSION + 1)
    _no_decoding(monkeypatch, images, "load_images")
    with pytest.raises(AssertionError, match="decoded again"):
        load_data(f"folder:{tmp_path / 'shapes'}", (28, 28, 3))


def test_the_entries_are_listed_by_source_and_shape_and_cleared(tmp_path, cache_dir):
    write_class_folder(tmp_path / "shapes", per_class=2)
    for shape in [(28, 28, 3), (16, 16, 1)]:
        load_data(f"folder:{tmp_path / 'shapes'}", shape)
    (cache_dir / f".tmp-123-{'0' * cache.KEY_DIGITS}.npz").write_bytes(b"half-written by a killed run")
    (cache_dir / "mine.npz").write_bytes(b"a user's own file")
    entries = cache.list_entries()
    assert sorted((e.source, e.shape) for e in entries if e.source) == [
        (str(tmp_path / "shapes"), (6, 16, 16, 1)), (str(tmp_path / "shapes"), (6, 28, 28, 3))]
    assert [(e.source, e.shape) for e in entries if ".tmp-" in e.path] == [(None, None)]
    assert len(entries) == 3
    assert [e.size for e in entries] == sorted((os.path.getsize(e.path) for e in entries),
                                               reverse=True)
    assert cache.clear() == (3, sum(e.size for e in entries))
    assert cache.list_entries() == [] and os.listdir(cache_dir) == ["mine.npz"]


def test_kgan_cache_lists_and_clears(tmp_path, cache_dir):
    write_class_folder(tmp_path / "shapes", per_class=2)
    load_data(f"folder:{tmp_path / 'shapes'}", (28, 28, 3))
    listed = CliRunner().invoke(main, ["cache"])
    assert listed.exit_code == 0
    assert f"6 x 28x28x3  {tmp_path / 'shapes'}" in listed.output
    assert listed.output.splitlines()[-1].startswith("1 entry, ")
    cleared = CliRunner().invoke(main, ["cache", "--clear"])
    assert cleared.exit_code == 0 and "deleted 1 entry" in cleared.output
    assert os.listdir(cache_dir) == []
