"""A small REST client for a generator served by TensorFlow Serving (exported by `kgan export`).

It asks the `sample` signature for images and writes each one as a PNG file, or sends latent
vectors to `serving_default` and saves the raw samples as `.npy`. The image mode needs only the
standard library and NumPy; the latent mode draws its vectors with `kgan.latent_batch` (kgan's
seed rule, which the `sample` signature and `kgan sample` follow too), so the same seed gives
the same samples on every path.

`--truncation PSI` asks `sample` for truncated samples; `--walk FROM,TO --frames N` asks the
`interpolate` signature for the frames of a latent walk from one seed's sample to the other's
(both as `kgan sample` and `kgan interpolate` do). A conditional generator takes `--label N`:
one class for every sample (without it, `sample` draws the classes in turn and the latent mode
sends them in turn too; a walk is of class 0).

Usage:
    python scripts/serving_client.py --model pokemon -n 16 --seed 7 --out-dir samples/
    python scripts/serving_client.py --model pokemon -n 16 --truncation 0.7 --out-dir typical/
    python scripts/serving_client.py --model pokemon --walk 1,5 --frames 12 --out-dir walk/
    python scripts/serving_client.py --model gaussian --latent-dim 2 -n 100 --out points.npy
    python scripts/serving_client.py --model mnist -n 16 --label 7 --out-dir sevens/
"""

import argparse
import base64
import json
import os
import urllib.error
import urllib.request

import numpy as np


def sample_request(num_images, seed, label=None, truncation=None):
    """The `sample` signature's request body. Its inputs are scalars, so it needs TF Serving's
    columnar form (`inputs`); the row form (`instances`) would batch them. `label`: a
    conditional generator's class (-1: the classes in turn); `truncation`: psi in (0, 1].
    Inputs left out take the export's defaults."""
    return _columnar("sample", num_images=int(num_images), seed=int(seed), label=label,
                     truncation=truncation)


def interpolate_request(seed_from, seed_to, frames, label=None, truncation=None):
    """The `interpolate` signature's request body: the frames of the latent walk between two
    seeds' samples, in columnar form like `sample_request`."""
    return _columnar("interpolate", seed_from=int(seed_from), seed_to=int(seed_to),
                     frames=int(frames), label=label, truncation=truncation)


def _columnar(signature, label=None, truncation=None, **inputs):
    if label is not None:
        inputs["label"] = int(label)
    if truncation is not None:
        inputs["truncation"] = float(truncation)
    return {"signature_name": signature, "inputs": inputs}


def latent_request(z, labels=None):
    """The `serving_default` request body in row form: one instance per latent vector, or for
    a conditional generator (`labels`, one per vector) one `{"z": ..., "label": ...}` each."""
    rows = [[float(v) for v in row] for row in np.asarray(z)]
    if labels is not None:
        rows = [{"z": row, "label": int(label)} for row, label in zip(rows, labels)]
    return {"signature_name": "serving_default", "instances": rows}


def predict_url(server, model, version=None):
    """`http://HOST:PORT/v1/models/MODEL[/versions/N]:predict`."""
    path = f"/v1/models/{model}" + (f"/versions/{version}" if version else "")
    return f"{server.rstrip('/')}{path}:predict"


def post(url, body, timeout=60):
    """POSTs a JSON body; returns the decoded JSON response or raises with the server's error."""
    request = urllib.request.Request(url, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        detail = json.loads(error.read() or b"{}").get("error", error.reason)
        raise RuntimeError(f"{url}: HTTP {error.code}: {detail}") from None


def png_files(response):
    """The PNG files of a `sample` response: TF Serving base64-encodes `png_bytes` values as
    `{"b64": ...}` because the output's name ends in `_bytes`."""
    return [base64.b64decode(item["b64"]) for item in response["outputs"]["png_bytes"]]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="http://localhost:8501", help="TF Serving's REST address")
    parser.add_argument("--model", required=True, help="the model name TF Serving serves")
    parser.add_argument("--version", type=int, help="a model version (default: the newest)")
    parser.add_argument("-n", type=int, default=16, help="how many samples")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out-dir", default="samples", help="where PNG files go (images)")
    parser.add_argument("--latent-dim", type=int,
                        help="send latent vectors of this size to serving_default instead")
    parser.add_argument("--out", default="samples.npy", help="the .npy file for --latent-dim")
    parser.add_argument("--label", type=int, help="a conditional generator's class")
    parser.add_argument("--truncation", type=float, help="psi in (0, 1] (default: the export's, 1)")
    parser.add_argument("--walk", help="FROM,TO: the frames of a latent walk between two seeds")
    parser.add_argument("--frames", type=int, default=16, help="frames of a --walk")
    parser.add_argument("--num-classes", type=int,
                        help="a conditional generator's class count, for --latent-dim without "
                             "--label: the classes in turn")
    args = parser.parse_args()
    url = predict_url(args.server, args.model, args.version)
    if args.latent_dim:
        from kgan import latent_batch  # needs TensorFlow; the image mode does not

        z = latent_batch(args.n, args.latent_dim, args.seed)
        labels = None
        if args.label is not None:
            labels = [args.label] * args.n
        elif args.num_classes:
            labels = [i % args.num_classes for i in range(args.n)]
        samples = np.asarray(post(url, latent_request(z, labels))["predictions"], np.float32)
        np.save(args.out, samples)
        print(f"wrote {len(samples)} samples to {args.out}")
        return
    os.makedirs(args.out_dir, exist_ok=True)
    if args.walk:
        seed_from, seed_to = (int(seed) for seed in args.walk.split(","))
        request = interpolate_request(seed_from, seed_to, args.frames, args.label,
                                      args.truncation)
    else:
        request = sample_request(args.n, args.seed, args.label, args.truncation)
    pngs = png_files(post(url, request))
    for i, png in enumerate(pngs):
        with open(os.path.join(args.out_dir, f"sample-{i:04d}.png"), "wb") as f:
            f.write(png)
    print(f"wrote {len(pngs)} PNG files to {args.out_dir}")


if __name__ == "__main__":
    main()
