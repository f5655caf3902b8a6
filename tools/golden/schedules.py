#!/usr/bin/env python3
"""Generate reference learning-rate (and momentum / beta1) schedules for Anneal's tests.

Anneal's schedules are pure functions of the optimizer step; PyTorch's schedulers
are stateful and mostly recursive (each value is computed from the previous one).
This script drives every torch.optim.lr_scheduler class, and swa_utils.SWALR, over a
fixed list of configurations and records, for optimizer steps k = 1..steps, the value the
optimizer uses at step k:

    for k in 1..steps: record group values; optimizer.step(); scheduler.step()

(ReduceLROnPlateau: scheduler.step(metrics[k-1])). The result is written to

    engine/src/test/resources/golden/schedules.json

Functions that cannot be serialised (LambdaLR / MultiplicativeLR lambdas, CyclicLR
scale_fn) are drawn from NAMED_FUNCTIONS; the fixture holds the name in the
case's kwargs and the formula in "named_functions".

Run from the repository root with Debian's python3-torch (1.13):

    /usr/bin/python3 tools/golden/schedules.py          # (re)write the file
    /usr/bin/python3 tools/golden/schedules.py --check  # fail if the file differs

All schedule arithmetic is Python float (double) math, so the output is
deterministic; only libm's cos/pow could change last bits on another platform.
"""

import inspect
import json
import math
import sys
import warnings
from pathlib import Path

import torch
from torch.optim import lr_scheduler as sched
from torch.optim.swa_utils import SWALR

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import write_or_check  # noqa: E402  (the generators' command line)

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "engine" / "src" / "test" / "resources" / "golden" / "schedules.json"
GENERATOR = "tools/golden/schedules.py"
N = 300

# ---------------------------------------------------------------------------
# Named functions. The formula string is the single source: it is eval'd into
# the callable torch gets, so the fixture's text cannot drift from what ran.
# t: LambdaLR / MultiplicativeLR's argument, the scheduler's last_epoch (an int;
#    0 at construction, so step k sees t = k - 1; MultiplicativeLR only calls it for t >= 1).
# x: CyclicLR's scale_fn argument: the cycle number (int, from 1) for scale_mode
#    "cycle", the scheduler's last_epoch (int, from 0; not reset per cycle) for "iterations".

NAMED_FUNCTIONS = {
    # LambdaLR factors
    "linear-decay-to-zero-over-300": ("t", "1 - t / 300"),
    "0.95^t": ("t", "0.95 ** t"),
    "warmup-10": ("t", "min(1.0, (t + 1) / 10)"),
    "halve-every-50": ("t", "0.5 ** (t // 50)"),
    "inverse-sqrt-after-warmup-25": ("t", "min((t + 1) / 25, (25 / (t + 1)) ** 0.5)"),
    "cosine-after-warmup-10-over-300": (
        "t", "(t + 1) / 10 if t < 10 else 0.5 * (1 + math.cos(math.pi * (t - 10) / 290))"),
    # MultiplicativeLR factors
    "constant-0.99": ("t", "0.99"),
    "0.999-then-0.9-after-100": ("t", "0.999 if t < 100 else 0.9"),
    "harmonic-10/(t+10)": ("t", "(t + 9) / (t + 10)"),
    "halve-when-t-divisible-by-50": ("t", "0.5 if t % 50 == 0 else 1.0"),
    "1.01-until-50-then-0.98": ("t", "1.01 if t < 50 else 0.98"),
    # CyclicLR scale_fn
    "half-per-cycle": ("x", "0.5 ** (x - 1)"),
    "inverse-cycle": ("x", "1 / x"),
    "0.997^x": ("x", "0.997 ** x"),
    "linear-to-zero-over-300": ("x", "max(0.0, 1 - x / 300)"),
}

_FUNCS = {name: eval(f"lambda {arg}: {formula}", {"math": math, "min": min, "max": max})  # noqa: S307
          for name, (arg, formula) in NAMED_FUNCTIONS.items()}

# ---------------------------------------------------------------------------
# Metric sequences for ReduceLROnPlateau: rational arithmetic only (no libm),
# so the recorded inputs are the same on every platform.


def jitter(t):
    """A fixed pseudo-noise in [-0.5, 0.5]."""
    return ((t * 7919) % 97) / 96 - 0.5


def loss_like(t):
    """Decreasing for 100 steps, then flat under noise: a typical validation loss."""
    u = max(0.0, 1 - t / 100)
    return 0.3 + 0.7 * (u * u) + 0.02 * jitter(t)


def accuracy_like(t):
    """Rising towards 0.9 and saturating, with noise."""
    return 0.9 - 0.8 / (1 + t / 10) + 0.01 * jitter(t)


def step_plateaus(t):
    """Drops by 0.1 every 60 steps, flat in between (absolute improvements)."""
    return 2.0 - 0.1 * (t // 60) + 0.001 * jitter(t)


def negative_score(t):
    """A negative score to maximise, -0.5 and -0.7 by turns every 25 steps. In max mode
    a rel threshold on a negative best accepts slightly worse values as better, so only
    the drops to -0.7 count as bad epochs."""
    return -0.5 - 0.2 * ((t // 25) % 2) + 0.005 * jitter(t)


METRICS = {"loss": loss_like, "accuracy": accuracy_like, "plateaus": step_plateaus,
           "negative": negative_score}

# ---------------------------------------------------------------------------
# Cases. kwargs are the torch constructor's keyword arguments (named functions by
# name). optimizer "sgd" uses SGD(lr=base_lr, momentum=0.9); "adam" uses
# Adam(lr=base_lr, betas=(0.95, 0.999)).


def case(name, scheduler, kwargs, base_lr=0.1, optimizer="sgd", steps=N, metrics=None):
    return {"name": name, "scheduler": scheduler, "kwargs": kwargs, "optimizer": optimizer,
            "base_lr": base_lr, "steps": steps, "metrics": metrics}


def sub(scheduler, **kwargs):
    return {"scheduler": scheduler, "kwargs": kwargs}


def cyclic(name, steps=N, **kwargs):
    # the optimizer's lr is overwritten by base_lr anyway; keep them equal for clarity
    return case(name, "CyclicLR", kwargs, base_lr=kwargs["base_lr"], steps=steps)


def one_cycle(name, optimizer="sgd", steps=N, **kwargs):
    # total_steps = steps: torch raises when stepped past it
    kwargs = {"max_lr": kwargs.pop("max_lr"), "total_steps": steps, **kwargs}
    initial = kwargs["max_lr"] / kwargs.get("div_factor", 25.0)
    return case(name, "OneCycleLR", kwargs, base_lr=initial, optimizer=optimizer, steps=steps)


CASES = [
    # StepLR
    case("steplr-30-gamma-0.1", "StepLR", {"step_size": 30, "gamma": 0.1}),
    case("steplr-1-gamma-0.99", "StepLR", {"step_size": 1, "gamma": 0.99}),
    case("steplr-50-gamma-0.5", "StepLR", {"step_size": 50, "gamma": 0.5}),
    case("steplr-7-gamma-0.9", "StepLR", {"step_size": 7, "gamma": 0.9}),
    case("steplr-100-gamma-0.3-lr-1", "StepLR", {"step_size": 100, "gamma": 0.3}, base_lr=1.0),
    case("steplr-40-default-gamma", "StepLR", {"step_size": 40}),
    # MultiStepLR
    case("multisteplr-30-80-gamma-0.1", "MultiStepLR", {"milestones": [30, 80], "gamma": 0.1}),
    case("multisteplr-50-100-150-200-gamma-0.5", "MultiStepLR",
         {"milestones": [50, 100, 150, 200], "gamma": 0.5}),
    case("multisteplr-repeated-100-twice-gamma-0.5", "MultiStepLR",
         {"milestones": [100, 100, 250], "gamma": 0.5}),
    case("multisteplr-1-2-3-gamma-0.9", "MultiStepLR", {"milestones": [1, 2, 3], "gamma": 0.9}),
    case("multisteplr-100-500-default-gamma", "MultiStepLR", {"milestones": [100, 500]}),
    case("multisteplr-doubling-10-to-160-gamma-0.7", "MultiStepLR",
         {"milestones": [10, 20, 40, 80, 160], "gamma": 0.7}),
    # ConstantLR
    case("constantlr-defaults", "ConstantLR", {}),
    case("constantlr-0.5-iters-4", "ConstantLR", {"factor": 0.5, "total_iters": 4}),
    case("constantlr-0.1-iters-100", "ConstantLR", {"factor": 0.1, "total_iters": 100}),
    case("constantlr-0.3-iters-299", "ConstantLR", {"factor": 0.3, "total_iters": 299}),
    case("constantlr-0.25-iters-1000", "ConstantLR", {"factor": 0.25, "total_iters": 1000}),
    case("constantlr-1.0-iters-10", "ConstantLR", {"factor": 1.0, "total_iters": 10}),
    # LinearLR
    case("linearlr-defaults", "LinearLR", {}),
    case("linearlr-warmup-0.01-to-1-over-50", "LinearLR",
         {"start_factor": 0.01, "end_factor": 1.0, "total_iters": 50}),
    case("linearlr-decay-1-to-0.1-over-200", "LinearLR",
         {"start_factor": 1.0, "end_factor": 0.1, "total_iters": 200}),
    case("linearlr-decay-1-to-0-over-300", "LinearLR",
         {"start_factor": 1.0, "end_factor": 0.0, "total_iters": 300}),
    case("linearlr-0.5-to-0.75-over-1000", "LinearLR",
         {"start_factor": 0.5, "end_factor": 0.75, "total_iters": 1000}),
    case("linearlr-warmup-0.001-over-10-lr-0.5", "LinearLR",
         {"start_factor": 0.001, "total_iters": 10}, base_lr=0.5),
    # ExponentialLR
    case("exponentiallr-0.99", "ExponentialLR", {"gamma": 0.99}),
    case("exponentiallr-0.95", "ExponentialLR", {"gamma": 0.95}),
    case("exponentiallr-0.999-1000-steps", "ExponentialLR", {"gamma": 0.999}, steps=1000),
    case("exponentiallr-1.0", "ExponentialLR", {"gamma": 1.0}),
    case("exponentiallr-growth-1.01-lr-1e-4", "ExponentialLR", {"gamma": 1.01}, base_lr=1e-4),
    case("exponentiallr-0.5", "ExponentialLR", {"gamma": 0.5}),
    # PolynomialLR
    case("polynomiallr-defaults", "PolynomialLR", {}),
    case("polynomiallr-300-power-1", "PolynomialLR", {"total_iters": 300, "power": 1.0}),
    case("polynomiallr-300-power-2", "PolynomialLR", {"total_iters": 300, "power": 2.0}),
    case("polynomiallr-200-power-0.5", "PolynomialLR", {"total_iters": 200, "power": 0.5}),
    case("polynomiallr-100-power-3", "PolynomialLR", {"total_iters": 100, "power": 3.0}),
    case("polynomiallr-1000-power-0.9", "PolynomialLR", {"total_iters": 1000, "power": 0.9}),
    # CosineAnnealingLR
    case("cosine-tmax-300", "CosineAnnealingLR", {"T_max": 300}),
    case("cosine-tmax-300-eta-min-0.001", "CosineAnnealingLR", {"T_max": 300, "eta_min": 0.001}),
    case("cosine-tmax-100-past-tmax", "CosineAnnealingLR", {"T_max": 100}),
    case("cosine-tmax-50-eta-min-0.01-past-tmax", "CosineAnnealingLR", {"T_max": 50, "eta_min": 0.01}),
    case("cosine-tmax-1000", "CosineAnnealingLR", {"T_max": 1000}),
    case("cosine-tmax-1-eta-min-0.01", "CosineAnnealingLR", {"T_max": 1, "eta_min": 0.01}),
    case("cosine-tmax-100-eta-min-1e-4-1000-steps", "CosineAnnealingLR",
         {"T_max": 100, "eta_min": 1e-4}, steps=1000),
    # CosineAnnealingWarmRestarts
    case("cawr-t0-50-tmult-1", "CosineAnnealingWarmRestarts", {"T_0": 50}),
    case("cawr-t0-10-tmult-2", "CosineAnnealingWarmRestarts", {"T_0": 10, "T_mult": 2}),
    case("cawr-t0-100-tmult-1-eta-min-0.001", "CosineAnnealingWarmRestarts",
         {"T_0": 100, "T_mult": 1, "eta_min": 0.001}),
    case("cawr-t0-20-tmult-2-eta-min-1e-4", "CosineAnnealingWarmRestarts",
         {"T_0": 20, "T_mult": 2, "eta_min": 1e-4}),
    case("cawr-t0-7-tmult-3-eta-min-0.005", "CosineAnnealingWarmRestarts",
         {"T_0": 7, "T_mult": 3, "eta_min": 0.005}),
    case("cawr-t0-1-tmult-2", "CosineAnnealingWarmRestarts", {"T_0": 1, "T_mult": 2}),
    # CyclicLR
    cyclic("cycliclr-defaults-step-2000", base_lr=0.001, max_lr=0.1),
    cyclic("cycliclr-triangular-20-no-momentum", base_lr=0.001, max_lr=0.1, step_size_up=20,
           cycle_momentum=False),
    cyclic("cycliclr-triangular-up-10-down-40-momentum", base_lr=0.01, max_lr=0.05,
           step_size_up=10, step_size_down=40, mode="triangular", cycle_momentum=True,
           base_momentum=0.8, max_momentum=0.95),
    cyclic("cycliclr-triangular2-25-default-momentum", base_lr=0.001, max_lr=0.1,
           step_size_up=25, mode="triangular2"),
    cyclic("cycliclr-exp-range-30-gamma-0.99-no-momentum", base_lr=0.001, max_lr=0.1,
           step_size_up=30, mode="exp_range", gamma=0.99, cycle_momentum=False),
    cyclic("cycliclr-exp-range-up-15-down-35-gamma-0.995-momentum", base_lr=0.002, max_lr=0.02,
           step_size_up=15, step_size_down=35, mode="exp_range", gamma=0.995,
           base_momentum=0.85, max_momentum=0.95),
    cyclic("cycliclr-triangular2-up-40-down-10", base_lr=0.0, max_lr=1.0, step_size_up=40,
           step_size_down=10, mode="triangular2", cycle_momentum=False),
    cyclic("cycliclr-custom-half-per-cycle-cycle-mode", base_lr=0.001, max_lr=0.1,
           step_size_up=20, scale_fn="half-per-cycle", scale_mode="cycle", cycle_momentum=False),
    cyclic("cycliclr-custom-inverse-cycle-momentum", base_lr=0.01, max_lr=0.1, step_size_up=12,
           step_size_down=18, scale_fn="inverse-cycle", scale_mode="cycle",
           base_momentum=0.85, max_momentum=0.99),
    cyclic("cycliclr-custom-0.997^x-iterations-momentum", base_lr=0.001, max_lr=0.1,
           step_size_up=25, scale_fn="0.997^x", scale_mode="iterations",
           base_momentum=0.8, max_momentum=0.9),
    cyclic("cycliclr-custom-linear-to-zero-iterations", base_lr=0.005, max_lr=0.05,
           step_size_up=20, step_size_down=30, scale_fn="linear-to-zero-over-300",
           scale_mode="iterations", cycle_momentum=False),
    # OneCycleLR
    one_cycle("onecycle-cos-defaults-sgd-momentum", max_lr=0.1),
    one_cycle("onecycle-linear-pct-0.25-no-momentum", max_lr=0.1, pct_start=0.25,
              anneal_strategy="linear", cycle_momentum=False),
    one_cycle("onecycle-cos-three-phase-sgd-momentum", max_lr=0.1, three_phase=True),
    one_cycle("onecycle-linear-three-phase-div-10-final-100", max_lr=0.5, pct_start=0.4,
              anneal_strategy="linear", div_factor=10.0, final_div_factor=100.0, three_phase=True),
    one_cycle("onecycle-cos-adam-beta1-pct-0.1", optimizer="adam", max_lr=0.003, pct_start=0.1,
              base_momentum=0.85, max_momentum=0.95),
    one_cycle("onecycle-linear-adam-beta1-three-phase", optimizer="adam", max_lr=0.001,
              pct_start=0.2, anneal_strategy="linear", three_phase=True,
              base_momentum=0.8, max_momentum=0.9),
    one_cycle("onecycle-cos-div-5-final-1000-pct-0.45", max_lr=0.2, pct_start=0.45,
              div_factor=5.0, final_div_factor=1000.0, base_momentum=0.8, max_momentum=0.9),
    one_cycle("onecycle-cos-pct-0.33-330-steps", steps=330, max_lr=0.05, pct_start=0.33),
    one_cycle("onecycle-cos-three-phase-pct-0.15-500-steps", steps=500, max_lr=1.0,
              pct_start=0.15, three_phase=True, cycle_momentum=False),
    # LambdaLR
    case("lambdalr-linear-decay-to-zero-over-300", "LambdaLR",
         {"lr_lambda": "linear-decay-to-zero-over-300"}),
    case("lambdalr-0.95^t", "LambdaLR", {"lr_lambda": "0.95^t"}),
    case("lambdalr-warmup-10", "LambdaLR", {"lr_lambda": "warmup-10"}),
    case("lambdalr-halve-every-50", "LambdaLR", {"lr_lambda": "halve-every-50"}, base_lr=1.0),
    case("lambdalr-inverse-sqrt-after-warmup-25", "LambdaLR",
         {"lr_lambda": "inverse-sqrt-after-warmup-25"}, base_lr=0.001),
    case("lambdalr-cosine-after-warmup-10-over-300", "LambdaLR",
         {"lr_lambda": "cosine-after-warmup-10-over-300"}),
    # MultiplicativeLR
    case("multiplicativelr-constant-0.99", "MultiplicativeLR", {"lr_lambda": "constant-0.99"}),
    case("multiplicativelr-0.999-then-0.9-after-100", "MultiplicativeLR",
         {"lr_lambda": "0.999-then-0.9-after-100"}),
    case("multiplicativelr-harmonic", "MultiplicativeLR", {"lr_lambda": "harmonic-10/(t+10)"}),
    case("multiplicativelr-halve-when-t-divisible-by-50", "MultiplicativeLR",
         {"lr_lambda": "halve-when-t-divisible-by-50"}),
    case("multiplicativelr-1.01-until-50-then-0.98", "MultiplicativeLR",
         {"lr_lambda": "1.01-until-50-then-0.98"}, base_lr=0.01),
    # SequentialLR
    case("sequential-linear-warmup-20-then-cosine-280", "SequentialLR", {
        "schedulers": [sub("LinearLR", start_factor=0.01, end_factor=1.0, total_iters=20),
                       sub("CosineAnnealingLR", T_max=280)],
        "milestones": [20]}),
    case("sequential-constant-0.1-2-then-exponential-0.99", "SequentialLR", {
        "schedulers": [sub("ConstantLR", factor=0.1, total_iters=2), sub("ExponentialLR", gamma=0.99)],
        "milestones": [2]}, base_lr=1.0),
    case("sequential-linear-10-step-50-exponential-0.98", "SequentialLR", {
        "schedulers": [sub("LinearLR", start_factor=0.1, total_iters=10),
                       sub("StepLR", step_size=50, gamma=0.5), sub("ExponentialLR", gamma=0.98)],
        "milestones": [10, 160]}),
    case("sequential-linear-5-then-multistep-50-100", "SequentialLR", {
        "schedulers": [sub("LinearLR", start_factor=0.25, total_iters=5),
                       sub("MultiStepLR", milestones=[50, 100], gamma=0.1)],
        "milestones": [5]}),
    case("sequential-linear-30-then-warm-restarts", "SequentialLR", {
        "schedulers": [sub("LinearLR", start_factor=0.1, end_factor=1.0, total_iters=30),
                       sub("CosineAnnealingWarmRestarts", T_0=50, T_mult=2, eta_min=1e-4)],
        "milestones": [30]}),
    case("sequential-linear-cut-at-50-then-cosine-100-eta-min-past-tmax", "SequentialLR", {
        "schedulers": [sub("LinearLR", start_factor=0.001, total_iters=100),
                       sub("CosineAnnealingLR", T_max=100, eta_min=0.001)],
        "milestones": [50]}),
    case("sequential-linear-10-then-lambda-0.95^t", "SequentialLR", {
        "schedulers": [sub("LinearLR", start_factor=0.5, total_iters=10),
                       sub("LambdaLR", lr_lambda="0.95^t")],
        "milestones": [10]}),
    # ChainedScheduler
    case("chained-constant-0.1-4-exponential-0.9", "ChainedScheduler", {
        "schedulers": [sub("ConstantLR", factor=0.1, total_iters=4), sub("ExponentialLR", gamma=0.9)]},
        base_lr=1.0),
    case("chained-linear-10-step-30-0.5", "ChainedScheduler", {
        "schedulers": [sub("LinearLR", start_factor=0.1, total_iters=10),
                       sub("StepLR", step_size=30, gamma=0.5)]}),
    case("chained-linear-20-exponential-0.99", "ChainedScheduler", {
        "schedulers": [sub("LinearLR", start_factor=0.05, total_iters=20),
                       sub("ExponentialLR", gamma=0.99)]}),
    case("chained-constant-0.5-50-multistep-100-200", "ChainedScheduler", {
        "schedulers": [sub("ConstantLR", factor=0.5, total_iters=50),
                       sub("MultiStepLR", milestones=[100, 200], gamma=0.2)]}),
    case("chained-linear-10-cosine-300", "ChainedScheduler", {
        "schedulers": [sub("LinearLR", start_factor=0.1, total_iters=10),
                       sub("CosineAnnealingLR", T_max=300)]}),
    case("chained-linear-step-exponential", "ChainedScheduler", {
        "schedulers": [sub("LinearLR", start_factor=0.2, total_iters=10),
                       sub("StepLR", step_size=60, gamma=0.5), sub("ExponentialLR", gamma=0.995)]}),
    # SWALR (torch.optim.swa_utils): base_lr is the lr it starts from. Standalone, it drives the
    # optimizer from its construction, so step 1 takes base_lr (its t = 0).
    case("swalr-cos-1-down", "SWALR", {"swa_lr": 0.05, "anneal_epochs": 1, "anneal_strategy": "cos"}),
    case("swalr-cos-5-down", "SWALR", {"swa_lr": 0.01, "anneal_epochs": 5, "anneal_strategy": "cos"}),
    case("swalr-defaults-cos-10-down", "SWALR", {"swa_lr": 0.02}),
    case("swalr-cos-1-up", "SWALR", {"swa_lr": 0.3, "anneal_epochs": 1, "anneal_strategy": "cos"}),
    case("swalr-cos-5-up-lr-0.003", "SWALR", {"swa_lr": 0.2, "anneal_epochs": 5, "anneal_strategy": "cos"},
         base_lr=0.003),
    case("swalr-cos-10-up", "SWALR", {"swa_lr": 0.5, "anneal_epochs": 10, "anneal_strategy": "cos"}),
    case("swalr-linear-1-down", "SWALR", {"swa_lr": 0.05, "anneal_epochs": 1, "anneal_strategy": "linear"}),
    case("swalr-linear-5-down-lr-1", "SWALR", {"swa_lr": 1e-4, "anneal_epochs": 5, "anneal_strategy": "linear"},
         base_lr=1.0),
    case("swalr-linear-10-down", "SWALR", {"swa_lr": 0.01, "anneal_epochs": 10, "anneal_strategy": "linear"}),
    case("swalr-linear-1-up", "SWALR", {"swa_lr": 0.25, "anneal_epochs": 1, "anneal_strategy": "linear"}),
    case("swalr-linear-5-up", "SWALR", {"swa_lr": 0.15, "anneal_epochs": 5, "anneal_strategy": "linear"}),
    case("swalr-linear-10-up-lr-0.01", "SWALR", {"swa_lr": 0.05, "anneal_epochs": 10, "anneal_strategy": "linear"},
         base_lr=0.01),
    case("swalr-cos-250-down-to-zero", "SWALR", {"swa_lr": 0.0, "anneal_epochs": 250, "anneal_strategy": "cos"}),
    case("swalr-linear-1000-up-past-the-run", "SWALR",
         {"swa_lr": 0.5, "anneal_epochs": 1000, "anneal_strategy": "linear"}),
    case("swalr-cos-20-up-from-zero", "SWALR", {"swa_lr": 0.05, "anneal_epochs": 20, "anneal_strategy": "cos"},
         base_lr=0.0),
    # SWALR after another scheduler, from the lr that one left: SequentialLR steps it for the first
    # time at the milestone (its t = 1), as torch's documented loop does at swa_start.
    case("sequential-cosine-100-then-swalr-cos-10-down", "SequentialLR", {
        "schedulers": [sub("CosineAnnealingLR", T_max=100), sub("SWALR", swa_lr=0.005, anneal_epochs=10)],
        "milestones": [80]}),
    case("sequential-multiplicative-0.99-160-then-swalr-linear-20-up", "SequentialLR", {
        "schedulers": [sub("MultiplicativeLR", lr_lambda="constant-0.99"),
                       sub("SWALR", swa_lr=0.05, anneal_epochs=20, anneal_strategy="linear")],
        "milestones": [160]}),
    case("sequential-linear-warmup-10-then-swalr-cos-1-down", "SequentialLR", {
        "schedulers": [sub("LinearLR", start_factor=0.1, total_iters=10),
                       sub("SWALR", swa_lr=0.02, anneal_epochs=1, anneal_strategy="cos")],
        "milestones": [30]}),
    case("sequential-steplr-20-cut-at-50-then-swalr-cos-5-up", "SequentialLR", {
        "schedulers": [sub("StepLR", step_size=20, gamma=0.5),
                       sub("SWALR", swa_lr=0.05, anneal_epochs=5, anneal_strategy="cos")],
        "milestones": [50]}),
    # ReduceLROnPlateau
    case("plateau-defaults-loss", "ReduceLROnPlateau", {}, metrics="loss"),
    case("plateau-min-factor-0.5-patience-5-cooldown-10", "ReduceLROnPlateau",
         {"mode": "min", "factor": 0.5, "patience": 5, "cooldown": 10}, metrics="loss"),
    case("plateau-min-abs-threshold-0.05-patience-15", "ReduceLROnPlateau",
         {"mode": "min", "factor": 0.7, "patience": 15, "threshold": 0.05, "threshold_mode": "abs"},
         metrics="plateaus"),
    case("plateau-max-rel-threshold-0.01-patience-4", "ReduceLROnPlateau",
         {"mode": "max", "factor": 0.5, "patience": 4, "threshold": 0.01, "threshold_mode": "rel"},
         metrics="accuracy"),
    case("plateau-max-abs-factor-0.3-min-lr-0.01-cooldown-5", "ReduceLROnPlateau",
         {"mode": "max", "factor": 0.3, "patience": 2, "threshold": 0.001, "threshold_mode": "abs",
          "cooldown": 5, "min_lr": 0.01}, metrics="accuracy"),
    case("plateau-min-eps-0.001-patience-2", "ReduceLROnPlateau",
         {"factor": 0.5, "patience": 2, "eps": 0.001}, metrics="loss"),
    case("plateau-max-rel-negative-metric-cooldown-10", "ReduceLROnPlateau",
         {"mode": "max", "factor": 0.5, "patience": 3, "threshold": 0.05, "cooldown": 10},
         metrics="negative"),
    case("plateau-min-patience-0-cooldown-3", "ReduceLROnPlateau",
         {"factor": 0.9, "patience": 0, "cooldown": 3, "threshold": 0.01}, metrics="loss"),
]

# ---------------------------------------------------------------------------
# Running a case.

CLASSES = {name: getattr(sched, name) for name in sched.__all__}
CLASSES["SWALR"] = SWALR


def make_optimizer(kind, base_lr):
    param = torch.zeros(1, requires_grad=True)
    param.grad = torch.zeros(1)
    if kind == "sgd":
        return torch.optim.SGD([param], lr=base_lr, momentum=0.9)
    assert kind == "adam", kind
    return torch.optim.Adam([param], lr=base_lr, betas=(0.95, 0.999))


def build(optimizer, scheduler, kwargs):
    kwargs = dict(kwargs)
    if scheduler in ("SequentialLR", "ChainedScheduler"):
        kwargs["schedulers"] = [build(optimizer, s["scheduler"], s["kwargs"]) for s in kwargs["schedulers"]]
        if scheduler == "ChainedScheduler":
            return CLASSES[scheduler](**kwargs)
    for key in ("lr_lambda", "scale_fn"):
        if key in kwargs:
            kwargs[key] = _FUNCS[kwargs[key]]
    return CLASSES[scheduler](optimizer, **kwargs)


def records(spec):
    """Which per-step values the case's scheduler drives besides lr."""
    if spec["scheduler"] in ("CyclicLR", "OneCycleLR") and spec["kwargs"].get("cycle_momentum", True):
        return ["momentum"] if spec["optimizer"] == "sgd" else ["beta1"]
    return []


def run(spec):
    steps = spec["steps"]
    opt = make_optimizer(spec["optimizer"], spec["base_lr"])
    metrics = None
    if spec["metrics"] is not None:
        fn = METRICS[spec["metrics"]]
        metrics = [float(fn(t)) for t in range(steps)]
    with warnings.catch_warnings():
        # step-order and epoch-deprecation warnings are expected (SequentialLR calls step(0))
        warnings.simplefilter("ignore")
        scheduler = build(opt, spec["scheduler"], spec["kwargs"])
        group = opt.param_groups[0]
        out = {"lr": [], "momentum": [], "beta1": []}
        for k in range(1, steps + 1):
            out["lr"].append(group["lr"])
            out["momentum"].append(group.get("momentum"))
            out["beta1"].append(group["betas"][0] if "betas" in group else None)
            opt.step()
            if metrics is not None:
                scheduler.step(metrics[k - 1])
            else:
                scheduler.step()
    extra = records(spec)
    for key in ("momentum", "beta1"):
        if key not in extra and out[key][0] is not None:
            # a value we do not record must really be constant
            assert len(set(out[key])) == 1, (spec["name"], key)
    result = {k: v for k, v in spec.items() if k != "metrics"}
    result["lr"] = [float(v) for v in out["lr"]]
    for key in extra:
        result[key] = [float(v) for v in out[key]]
    if metrics is not None:
        result["metrics"] = metrics
    return result


# ---------------------------------------------------------------------------
# Output.

def dump(obj, indent=0):
    pad = " " * indent
    if isinstance(obj, bool):
        return "true" if obj else "false"
    if isinstance(obj, float):
        assert math.isfinite(obj)
        return repr(obj)  # shortest round-tripping double
    if isinstance(obj, (int, str)) or obj is None:
        return json.dumps(obj)
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        # small flat dicts (kwargs, defaults) on one line
        if len(obj) <= 8 and all(not isinstance(v, dict) and (not isinstance(v, list) or (
                len(v) <= 8 and not any(isinstance(x, (dict, list)) for x in v))) for v in obj.values()):
            return "{" + ", ".join(json.dumps(k) + ": " + dump(v) for k, v in obj.items()) + "}"
        items = [pad + "  " + json.dumps(k) + ": " + dump(v, indent + 2) for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, list):
        if all(not isinstance(v, (dict, list)) for v in obj):
            return "[" + ", ".join(dump(v) for v in obj) + "]"
        items = [pad + "  " + dump(v, indent + 2) for v in obj]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    raise TypeError(type(obj))


def torch_defaults():
    """Constructor defaults of each scheduler class (what an omitted kwarg means)."""
    out = {}
    for name in sorted(CLASSES):
        params = inspect.signature(CLASSES[name]).parameters.items()
        out[name] = {k: p.default for k, p in params
                     if k not in ("optimizer", "last_epoch", "verbose")
                     and p.default is not inspect.Parameter.empty}
    return out


def check(doc):
    names = [c["name"] for c in doc["cases"]]
    assert len(set(names)) == len(names), "duplicate case names"
    per_class = {}
    for c in doc["cases"]:
        per_class[c["scheduler"]] = per_class.get(c["scheduler"], 0) + 1
        for key in ("lr", "momentum", "beta1", "metrics"):
            if key in c:
                assert len(c[key]) == c["steps"], (c["name"], key)
                assert all(isinstance(v, float) and math.isfinite(v) for v in c[key]), (c["name"], key)
        assert c["steps"] >= N, c["name"]
        if c["scheduler"] == "ReduceLROnPlateau":
            # the metric must drive several reductions
            assert len(set(c["lr"])) >= 3, c["name"]
    assert set(per_class) == set(CLASSES), set(CLASSES) - set(per_class)
    assert all(n >= 5 for n in per_class.values()), per_class
    for fn in {c["kwargs"].get(k) for c in doc["cases"] for k in ("lr_lambda", "scale_fn")} - {None}:
        assert fn in doc["named_functions"], fn


def render():
    doc = {
        "generator": GENERATOR,
        "torch_version": torch.__version__,
        "semantics": "values[k-1] is the value the optimizer uses at optimizer step k; "
                     "the scheduler is stepped after each optimizer step",
        "optimizers": {"sgd": "torch.optim.SGD(params, lr=base_lr, momentum=0.9)",
                       "adam": "torch.optim.Adam(params, lr=base_lr, betas=(0.95, 0.999))"},
        "named_functions": {name: formula for name, (_, formula) in NAMED_FUNCTIONS.items()},
        "named_function_arguments": {
            "t": "LambdaLR/MultiplicativeLR: the scheduler's last_epoch, k - 1 at optimizer step k "
                 "(MultiplicativeLR multiplies by f(t) for t >= 1 only)",
            "x": "CyclicLR scale_fn: the cycle number (from 1) when scale_mode is 'cycle', "
                 "the scheduler's last_epoch k - 1 (not reset per cycle) when 'iterations'"},
        "torch_defaults": torch_defaults(),
        "cases": [run(spec) for spec in CASES],
    }
    check(doc)
    text = dump(doc) + "\n"
    assert json.loads(text)["cases"] == json.loads(json.dumps(doc["cases"]))  # exact round trip
    return text


def main():
    return write_or_check(__doc__, OUT, render, f"{len(CASES)} cases")


if __name__ == "__main__":
    sys.exit(main())
