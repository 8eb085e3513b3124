"""grokbook's canonical benchmark: training throughput at a fixed config, and chapter 1's time to grok.

    python bench/canonical.py            # prints a report, then one JSON object on the last line

1. Throughput: MLP on (a + b) mod 97, 50% of the table, width 512, ReLU, cross-entropy, AdamW (lr 1e-3,
   weight decay 1), full batch, float32. grokbook's ``train`` (logging included) against a plain PyTorch
   loop of the same model in the same process: one-hot inputs through ``nn.Linear``, ``torch.optim.AdamW``.
   ``matmul_peak_fraction`` is the FLOPs of one grokbook step over this machine's fp32 matmul rate,
   measured here on square matrices.
2. Chapter 1's CPU demo (Gromov's quadratic MLP in his parameterization, p = 59, 50% data): steps and
   seconds until it groks.
3. The same retrain-to-grok from chapter 1's live panel (``panel_time_to_grok_s``: Train pressed, curves
   streaming, until the final frame is shown; target < 5 s on 2 cores) and its first frame
   (``panel_first_frame_s``, target < 1 s).
"""
from __future__ import annotations

import argparse
import json
import platform
import time

import torch
import torch.nn.functional as F
from torch import nn

import grokbook
from grokbook import MLPConfig, ModularArithmetic, TrainConfig, train
from grokbook.widgets import training_panel

P, FRACTION, WIDTH = 97, 0.5, 512
CANONICAL = TrainConfig(task=ModularArithmetic(p=P, train_fraction=FRACTION), model=MLPConfig(width=WIDTH),
                        loss="cross_entropy", optimizer="adamw", lr=1e-3, weight_decay=1.0, device="cpu",
                        dtype="float32", steps=300, log_points=30)
# Chapter 1's CPU demo: Gromov's preset at p = 59, half the table, lr 3e-2 (the chapter says why)
DEMO = grokbook.gromov_config(p=59, train_fraction=0.5, lr=3e-2, device="cpu", steps=600, log_points=120,
                              stop_after_grok=True)


PANEL_CONTROLS = {  # chapter 1's panel
    "train_fraction": (0.1, 0.9), "weight_decay": (0.0, 2.0), "lr": (1e-4, 1e-1, "log"),
    "activation": ["quadratic", "relu", "gelu"], "loss": ["mse", "cross_entropy"], "width": (32, 1024),
}


def panel_time_to_grok() -> tuple[float, float, int | None, int]:
    """Seconds from pressing Train on chapter 1's panel until the final frame of the demo's grokked run is
    shown, the seconds to its first frame, the step it grokked at and the frames drawn."""
    panel = training_panel(grokbook.vary(DEMO, steps=800), PANEL_CONTROLS, title="Chapter 1", mode="thread")
    start = time.perf_counter()
    panel.train_button.click()
    panel._thread.join()
    seconds = time.perf_counter() - start
    if panel.error is not None:
        raise panel.error
    return seconds, panel.first_frame_s, panel.result.first_step("test_acc", 0.95), panel.redraws


def naive_steps_per_s(steps: int) -> float:
    """A plain PyTorch loop of the canonical model: one-hot inputs, nn.Linear layers, torch AdamW."""
    data = CANONICAL.task.build(seed=0)
    x = torch.cat([F.one_hot(data.x_train[:, 0], P), F.one_hot(data.x_train[:, 1], P)], dim=1).float()
    y = data.y_train
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2 * P, WIDTH), nn.ReLU(), nn.Linear(WIDTH, P))
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.98), weight_decay=1.0)

    def step() -> None:
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()

    for _ in range(5):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return steps / (time.perf_counter() - start)


def grokbook_steps_per_s(steps: int) -> float:
    config = grokbook.vary(CANONICAL, steps=5)
    train(config, progress=False)  # warm-up
    config = grokbook.vary(CANONICAL, steps=steps)
    start = time.perf_counter()
    train(config, progress=False)
    return steps / (time.perf_counter() - start)


def matmul_flops_per_s(n: int = 2048, repeats: int = 10) -> float:
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return 2 * n**3 * repeats / (time.perf_counter() - start)


def step_flops() -> float:
    """Matrix-product FLOPs of one grokbook step: the readout's forward, its weight gradient and the hidden
    gradient (2·n·width·p each); the first layer is a table lookup and costs no products."""
    n = round(FRACTION * P * P)
    return 3 * 2 * n * WIDTH * P


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=300, help="timed steps per loop")
    args = parser.parse_args()
    print(f"grokbook {grokbook.__version__}, torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{platform.processor() or platform.machine()}")
    peak = matmul_flops_per_s()
    ours = grokbook_steps_per_s(args.steps)
    naive = naive_steps_per_s(args.steps)
    print(f"throughput: grokbook {ours:.1f} steps/s, plain PyTorch {naive:.1f} steps/s, "
          f"matmul rate {peak / 1e9:.0f} GFLOP/s")
    start = time.perf_counter()
    demo = train(DEMO, progress=False)
    seconds = time.perf_counter() - start
    print(f"chapter 1 demo: {demo.summary()} in {seconds:.2f} s")
    panel_s, first_frame_s, panel_grok, frames = panel_time_to_grok()
    print(f"chapter 1 panel: grokked at step {panel_grok}, shown after {panel_s:.2f} s "
          f"({frames} frames, the first after {first_frame_s:.2f} s)")
    result = {
        "steps_per_s": round(ours, 2),
        "naive_steps_per_s": round(naive, 2),
        "speedup_vs_naive": round(ours / naive, 2),
        "matmul_peak_fraction": round(step_flops() * ours / peak, 3),
        "demo_steps_to_memorize": demo.steps_to_memorize,
        "demo_steps_to_grok": demo.steps_to_grok,
        "demo_time_to_grok_s": round(seconds, 2),
        "panel_time_to_grok_s": round(panel_s, 2),
        "panel_first_frame_s": round(first_frame_s, 2),
        "threads": torch.get_num_threads(),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
