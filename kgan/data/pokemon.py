"""A tensorflow-datasets builder for d2l's Pokemon sprites (`pokemon.zip`, 40,597 images).

The archive holds `pokemon/<species>/<sprite>.png`. Sprites come as palette, RGBA and grayscale
images; the builder stores them as RGB on a white background at their own size.
"""

import hashlib

import tensorflow_datasets as tfds
from etils import epath

from kgan.data.images import IMAGE_EXTENSIONS, load_image

_DESCRIPTION = "Pokemon sprites from the GAN chapter of Dive into Deep Learning (d2l 17.2)."


class Pokemon(tfds.core.GeneratorBasedBuilder):
    """d2l's Pokemon sprites: downloads `pokemon.zip`, or takes it from the manual directory."""

    VERSION = tfds.core.Version("1.0.0")
    URL = "http://d2l-data.s3-accelerate.amazonaws.com/pokemon.zip"
    # Published by d2l beside the URL (d2l.DATA_HUB['pokemon']).
    ARCHIVE_SHA1 = "c065c0e2593b8b161a2d7873e42418bf6a21106c"
    MANUAL_DOWNLOAD_INSTRUCTIONS = (
        "Put d2l's pokemon.zip, or the pokemon/ folder extracted from it, in the manual "
        "directory (kgan fit --data-dir DIR)."
    )

    def _info(self):
        return self.dataset_info_from_configs(
            description=_DESCRIPTION,
            features=tfds.features.FeaturesDict(
                {
                    "image": tfds.features.Image(shape=(None, None, 3)),
                    "species": tfds.features.Text(),
                }
            ),
            supervised_keys=None,
            homepage="https://d2l.ai/chapter_generative-adversarial-networks/dcgan.html",
        )

    def _split_generators(self, dl_manager):
        return {"train": self._generate_examples(self._sprite_root(dl_manager))}

    def _sprite_root(self, dl_manager):
        """The folder that holds `pokemon/`: from the manual directory, else downloaded."""
        manual = _manual_dir(dl_manager)
        if manual is not None:
            if (manual / "pokemon").is_dir():
                return manual
            if (manual / "pokemon.zip").exists():
                return dl_manager.extract(manual / "pokemon.zip")
        archive = dl_manager.download(self.URL)
        digest = _sha1(archive)
        if digest != self.ARCHIVE_SHA1:
            raise ValueError(
                f"{self.URL} has SHA-1 {digest}, expected {self.ARCHIVE_SHA1}; the download is "
                "corrupt or not d2l's pokemon.zip"
            )
        return dl_manager.extract(archive)

    def _generate_examples(self, root):
        for species_dir in sorted((epath.Path(root) / "pokemon").iterdir()):
            if not species_dir.is_dir():
                continue
            for sprite in sorted(species_dir.iterdir()):
                if sprite.suffix.lower() not in IMAGE_EXTENSIONS:
                    continue
                try:
                    with sprite.open("rb") as f:
                        image = load_image(f)
                except (OSError, ValueError) as error:
                    print(f"warning: skipping unreadable sprite {sprite} ({error})")
                    continue
                yield f"{species_dir.name}/{sprite.name}", {"image": image, "species": species_dir.name}


def _manual_dir(dl_manager):
    try:
        manual = epath.Path(dl_manager.manual_dir)
    except Exception:  # noqa: BLE001 -- TFDS raises when the manual directory is unset, missing or empty.
        return None
    return manual if manual.is_dir() else None


def _sha1(path):
    digest = hashlib.sha1()
    with epath.Path(path).open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
