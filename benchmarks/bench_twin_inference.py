"""Digital-twin speed: inference throughput at MICrONS size and training time per epoch at demo size.

Run: ``PYTHONPATH=. python benchmarks/bench_twin_inference.py [--frames 64] [--threads 2] [--fnn]``.

* inference: default ``TwinConfig``, 8,000 units, 144 x 256 uint8 input frames (resized inside the model),
  one video, behaviour given; frames/s, plus the ratio to a 300-unit readout (how much the readout costs).
* training: one epoch (defaults of ``train``) on a 300-unit, 3,800-frame (10 min at 6.3 Hz) random scan.
* ``--fnn``: the released fnn architecture (random weights, 8,000 units) on the same frames when fnn is installed.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from nda_ext.model.data import ScanData
from nda_ext.model.network import TwinModel
from nda_ext.model.train import predict, train


def frames_per_second(run, n_frames: int, repeats: int = 2) -> float:
    """Best of ``repeats`` timed calls of ``run()`` that each process ``n_frames`` frames."""
    run()  # warm-up
    best = min(_timed(run) for _ in range(repeats))
    return n_frames / best


def _timed(run) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=64, help="frames per inference run")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--fnn", action="store_true", help="also time the released fnn architecture")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, (args.frames, 144, 256), dtype=np.uint8)
    behaviour = rng.normal(size=(args.frames, 4)).astype(np.float32)

    model = TwinModel()
    model.add_scan(1, 1, 8000, fps=6.3)
    model.add_scan(1, 2, 300, fps=6.3)
    device = model.device
    big = frames_per_second(lambda: predict(model, (1, 1), frames, behaviour), args.frames)
    small = frames_per_second(lambda: predict(model, (1, 2), frames, behaviour), args.frames)
    print(f"device {device}, {args.threads} threads")
    print(f"inference 8,000 units, 144x256 input: {big:8.1f} frames/s ({1000 / big:.1f} ms/frame)")
    print(f"inference   300 units, 144x256 input: {small:8.1f} frames/s (8,000 units cost {small / big:.2f}x)")

    if args.fnn:
        from fnn.microns.build import network

        net = network(8000).eval()
        n = min(args.frames, 8)
        fnn_fps = frames_per_second(lambda: net.predict(frames[:n]), n, repeats=1)
        print(f"fnn network(8000), 144x256:          {fnn_fps:8.1f} frames/s (ours is {big / fnn_fps:.0f}x faster)")

    n_frames, n_units = 3800, 300
    scan = ScanData(1, 3, rng.integers(0, 256, (n_frames, 90, 160), dtype=np.uint8),
                    rng.normal(size=(n_frames, 4)).astype(np.float32),
                    rng.gamma(1.0, 1.0, size=(n_frames, n_units)).astype(np.float32), np.arange(n_units), 6.3)
    history = train(TwinModel(), [scan], epochs=2, progress=False)
    per_epoch = min(h["seconds"] for h in history)
    print(f"training 300 units x 3,800 frames: {per_epoch:.1f} s/epoch ({history[0]['steps']} steps); "
          f"10 epochs (default) ~ {10 * per_epoch / 60:.1f} min")


if __name__ == "__main__":
    main()
