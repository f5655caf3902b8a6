#!/usr/bin/env python3
"""Generate the golden optimizer trajectories used by Anneal's Java tests.

For each optimizer (SGD, Adam, AdamW, MindSpore-style Momentum) this script runs
a fixed list of cases for 100 steps on small float32 parameters, feeding
gradients from a deterministic integer hash that the Java side re-implements,
and writes the parameter values after every step to

    engine/src/test/resources/golden/{sgd,momentum,adam,adamw,lion,rmsprop,adagrad,adamax,adadelta,rprop,radam,radamw,
     nadam,nadamw,asgd,adabelief,yogi,clip,scaler}.json

SGD, Adam and AdamW are computed by torch.optim (foreach=False, CPU, float32).
clip.json runs torch.nn.utils.clip_grad_norm_ or clip_grad_value_ before
the optimizer's step. scaler.json runs torch.cuda.amp.GradScaler for 250 steps on
gradients rounded to float16 after scaling, as a float16 backward pass leaves
them; CPU torch 1.13 has no kernels for GradScaler's two CUDA ops, so they are
written out below and GradScaler's own Python code drives them. Momentum has no PyTorch class; its update rule is taken from MindSpore's source
and written out below as one float32 torch op per formula term.

Run from the repository root with Debian's python3-torch (1.13) and numpy:

    /usr/bin/python3 tools/golden/generate.py          # (re)write the four files
    /usr/bin/python3 tools/golden/generate.py --check  # fail if files differ

Output is deterministic: the same torch build on the same CPU gives the same
bytes. torch's CPU kernels use FMA when ATen dispatches to AVX2/AVX512, so a
machine with a different ATen CPU capability may change last bits.
"""

import argparse
import inspect
import json
import math
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[2]
OUT_DIR = ROOT / "engine" / "src" / "test" / "resources" / "golden"
GENERATOR = "tools/golden/generate.py"
STEPS = 100
SCALER_STEPS = 250

# ---------------------------------------------------------------------------
# Deterministic gradient / init generator (Java mirrors this with wrapping
# longs and >>> shifts, so everything is plain 64-bit integer arithmetic).

MASK = 2**64 - 1
K_SEED = 0x9E3779B97F4A7C15
K_STEP = 0xBF58476D1CE4E5B9
K_PARAM = 0x94D049BB133111EB


def mix(seed, step, param_index, element_index):
    """Reference (pure Python) version: a float32 in [-1, 1), exact."""
    x = (seed * K_SEED + step * K_STEP + param_index * K_PARAM + element_index) & MASK
    x ^= x >> 30
    x = (x * K_STEP) & MASK
    x ^= x >> 27
    x = (x * K_PARAM) & MASK
    x ^= x >> 31
    k = x >> 40
    return np.float32((k - 2**23) / 2**23)


def mix_vec(seed, step, param_index, n):
    """Vectorised mix() for element indices 0..n-1 (uint64 ops wrap)."""
    base = np.uint64((seed * K_SEED + step * K_STEP + param_index * K_PARAM) & MASK)
    x = np.arange(n, dtype=np.uint64) + base
    x ^= x >> np.uint64(30)
    x *= np.uint64(K_STEP)
    x ^= x >> np.uint64(27)
    x *= np.uint64(K_PARAM)
    x ^= x >> np.uint64(31)
    k = (x >> np.uint64(40)).astype(np.int64)
    # (k - 2^23) / 2^23 is exact in float64 and in float32.
    return ((k - 2**23).astype(np.float64) / 2**23).astype(np.float32)


def gen_values(seed, step, param_index, n, scale):
    """mix * scale as a float32 multiply (step 0 = initial values)."""
    out = mix_vec(seed, step, param_index, n) * np.float32(scale)
    assert out.dtype == np.float32
    return out


# ---------------------------------------------------------------------------
# Parameter sets. Names avoid 'beta'/'gamma': MindSpore skips weight decay for
# such names when params are not grouped, which the fixtures do not model.

PARAM_SETS = {
    "conv": [("conv.weight", [2, 3, 3, 3]), ("conv.bias", [2]), ("scale", [])],
    "mlp": [("fc1.weight", [4, 5]), ("fc1.bias", [4]), ("fc2.weight", [3, 4]),
            ("fc2.bias", [3]), ("temperature", [])],
    "wide": [("conv.weight", [4, 2, 3, 3]), ("offset", [])],
    "embed": [("embed.weight", [6, 5]), ("head.weight", [2, 6]), ("head.bias", [2])],
    "tiny": [("w", [3, 4]), ("v", [5]), ("s", [])],
    "matrices": [("fc1.weight", [6, 4]), ("fc2.weight", [3, 6]), ("square", [5, 5]), ("row", [1, 7])],
}

# ---------------------------------------------------------------------------
# Optimizers: full default option sets (our camelCase names) and torch mapping.

DEFAULTS = {
    "sgd": {"lr": 0.01, "momentum": 0.0, "dampening": 0.0, "weightDecay": 0.0,
            "nesterov": False, "maximize": False},
    "adam": {"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weightDecay": 0.0,
             "amsgrad": False, "maximize": False},
    "adamw": {"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weightDecay": 0.01,
              "amsgrad": False, "maximize": False},
    "momentum": {"lr": 0.01, "momentum": 0.9, "weightDecay": 0.0, "nesterov": False,
                 "lossScale": 1.0},
    "lion": {"lr": 1e-4, "beta1": 0.9, "beta2": 0.99, "weightDecay": 0.0, "maximize": False},
    "adabelief": {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-16, "epsRoot": 1e-16, "weightDecay": 0.0,
                  "maximize": False},
    "yogi": {"lr": 1e-2, "beta1": 0.9, "beta2": 0.999, "eps": 1e-3, "epsRoot": 0.0, "initialAccumulatorValue": 1e-6,
             "maximize": False},
    "adagrad": {"lr": 0.01, "lrDecay": 0.0, "weightDecay": 0.0, "initialAccumulatorValue": 0.0, "eps": 1e-10,
                "maximize": False},
    "radam": {"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weightDecay": 0.0, "maximize": False},
    "radamw": {"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weightDecay": 0.0, "maximize": False},
    "rprop": {"lr": 0.01, "etaMinus": 0.5, "etaPlus": 1.2, "stepSizeMin": 1e-6, "stepSizeMax": 50.0, "maximize": False},
    "adamax": {"lr": 0.002, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weightDecay": 0.0, "maximize": False},
    "adadelta": {"lr": 1.0, "rho": 0.9, "eps": 1e-6, "weightDecay": 0.0, "maximize": False},
    "nadam": {"lr": 0.002, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weightDecay": 0.0, "momentumDecay": 0.004,
              "maximize": False},
    "nadamw": {"lr": 0.002, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weightDecay": 0.0, "momentumDecay": 0.004,
               "maximize": False},
    "asgd": {"lr": 0.01, "lambd": 1e-4, "alpha": 0.75, "t0": 1e6, "weightDecay": 0.0, "maximize": False},
    "rmsprop": {"lr": 0.01, "alpha": 0.99, "eps": 1e-8, "weightDecay": 0.0, "momentum": 0.0,
                "centered": False, "maximize": False},
    "ftrl": {"lr": 1e-3, "lrPower": -0.5, "initialAccumulatorValue": 0.1, "l1": 0.0, "l2": 0.0, "weightDecay": 0.0,
             "lossScale": 1.0},
    "proximaladagrad": {"lr": 1e-3, "initialAccumulatorValue": 0.1, "l1": 0.0, "l2": 0.0, "weightDecay": 0.0,
                        "lossScale": 1.0},
    "ademamix": {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "beta3": 0.9999, "alpha": 5.0, "eps": 1e-8, "epsRoot": 0.0,
                 "weightDecay": 0.0, "alphaWarmup": 0.0, "beta3Warmup": 0.0},
    "adan": {"lr": 1e-3, "beta1": 0.98, "beta2": 0.92, "beta3": 0.99, "eps": 1e-8, "epsRoot": 1e-8, "weightDecay": 0.0},
    "adamweightdecay": {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-6, "weightDecay": 0.0},
    "mindsporeadam": {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "nesterov": False, "weightDecay": 0.0,
                      "lossScale": 1.0},
    "lazyadam": {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "nesterov": False, "weightDecay": 0.0,
                 "lossScale": 1.0},
    "sparseadam": {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "maximize": False},
    "schedulefreeadamw": {"lr": 2.5e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weightDecay": 0.0,
                          "weightLrPower": 2.0, "maximize": False},
    "schedulefreesgd": {"lr": 1.0, "beta1": 0.9, "weightDecay": 0.0, "weightLrPower": 2.0, "maximize": False},
    "novograd": {"lr": 1e-2, "beta1": 0.9, "beta2": 0.25, "eps": 1e-6, "epsRoot": 0.0, "weightDecay": 0.0,
                 "maximize": False},
    "lamb": {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-6, "weightDecay": 0.0},
    "adafactor": {"lr": 1e-2, "beta2Decay": -0.8, "eps1": 1.1920928955078125e-07, "eps2": 1e-3, "d": 1.0,
                  "weightDecay": 0.0, "maximize": False},
    "muon": {"lr": 1e-3, "weightDecay": 0.1, "momentum": 0.95, "nesterov": True, "nsA": 3.4445, "nsB": -4.775,
             "nsC": 2.0315, "eps": 1e-7, "nsSteps": 5.0, "matchRmsAdamW": False},
    "prodigy": {"lr": 1.0, "beta1": 0.9, "beta2": 0.999, "beta3": 0.0, "eps": 1e-8, "d0": 1e-6, "dCoef": 1.0,
                "weightDecay": 0.0, "safeguardWarmup": False},
    "lars": {"lr": 0.1, "momentum": 0.9, "weightDecay": 0.0, "nesterov": False, "lossScale": 1.0, "coefficient": 1e-3,
             "eps": 1e-5, "useClip": False, "trustRatio": True},
}

TORCH_NAMES = {"lr": "lr", "momentum": "momentum", "dampening": "dampening",
               "weightDecay": "weight_decay", "nesterov": "nesterov",
               "maximize": "maximize", "eps": "eps", "amsgrad": "amsgrad", "alpha": "alpha",
               "centered": "centered", "lrDecay": "lr_decay", "initialAccumulatorValue": "initial_accumulator_value",
               "rho": "rho", "momentumDecay": "momentum_decay", "lambd": "lambd", "t0": "t0"}

REFERENCES = {
    "sgd": "torch {v} (torch.optim.SGD, foreach=False)",
    "adam": "torch {v} (torch.optim.Adam, foreach=False)",
    "adamw": "torch {v} (torch.optim.AdamW, foreach=False)",
    "momentum": "MindSpore nn.Momentum published update rule, written out in float32 torch ops",
    "lion": "Lion (Chen et al. 2023, Algorithm 2) with decoupled weight decay, written out in float32 torch ops",
    "adabelief": "Optax's adabelief (scale_by_belief, decoupled weight decay) written out in float32 torch ops",
    "yogi": "Optax's yogi (scale_by_yogi) written out in float32 torch ops",
    "novograd": "Optax's novograd (scale_by_novograd) written out in float32 torch ops, each gradient's norm summed in float64",
    "ademamix": "Optax's contrib.ademamix with the paper's alpha and beta3 warmups, written out in float32 torch ops",
    "prodigy": "Optax's contrib.prodigy written out in float32 numpy ops, its two sums over all tensors folded in "
               "float64 and rounded to float32, d kept when the denominator is 0",
    "adan": "Optax's adan (scale_by_adan, add_decayed_weights) written out in float32 torch ops",
    "ftrl": "MindSpore's nn.FTRL (ApplyFtrl, TensorFlow's kernel) after its decay_weight and scale_grad, written out in float32 torch ops",
    "proximaladagrad": "MindSpore's nn.ProximalAdagrad (ApplyProximalAdagrad) after its decay_weight and scale_grad, written out in float32 torch ops",
    "adamweightdecay": "MindSpore's nn.AdamWeightDecay written out in float32 torch ops",
    "adafactor": "torch 2.5's torch.optim.Adafactor (_single_tensor_adafactor) written out in float32 torch ops, its norms and the rows' mean summed in float64",
    "muon": "torch 2.9's torch.optim.Muon (_single_tensor_muon, _zeropower_via_newtonschulz) written out in torch 1.13's float32 and bfloat16 ops",
    "lars": "MindSpore's nn.LARS (LARSUpdate's documented formula, a zero norm giving ratio 1) around its nn.Momentum, written out in float32 torch ops, each norm summed in float64",
    "lamb": "MindSpore's nn.Lamb (its eps placement, the trust ratio clipped to 10) written out in float32 torch ops, each norm summed in float64",
    "mindsporeadam": "MindSpore's nn.Adam (corrections in the step size, use_nesterov) after its decay_weight and scale_grad, written out in float32 torch ops",
    "lazyadam": "MindSpore's nn.LazyAdam (FusedSparseLazyAdam over the rows its sparse gradient lists, after "
                "decay_weight and scale_grad on those rows) written out in float32 torch ops; the rows with a "
                "gradient are those not all zero",
    "sparseadam": "torch {v} (torch.optim.SparseAdam; each gradient handed over as a sparse tensor of its rows "
                  "that are not all zero, to_sparse(1))",
    "schedulefreeadamw": "Optax's contrib.schedule_free_adamw (schedule_free over scale_by_rms, add_decayed_weights, "
                         "scale_by_learning_rate), lr read at the step for both the step and the weights, written out "
                         "in float32 torch ops",
    "schedulefreesgd": "Optax's contrib.schedule_free_sgd (schedule_free over add_decayed_weights and sgd), lr read at "
                       "the step for both the step and the weights, written out in float32 torch ops",
    "rmsprop": "torch {v} (torch.optim.RMSprop, foreach=False)",
    "rprop": "torch {v} (torch.optim.Rprop, foreach=False)",
    "radamw": "torch {v} (torch.optim.RAdam, foreach=False, weight_decay=0; torch 2.x's decoupled_weight_decay=True "
              "and maximize written out as its source computes them: each parameter with a gradient shrunk by "
              "1 - lr * weight_decay and its gradient negated before the step)",
    "radam": "torch {v} (torch.optim.RAdam, foreach=False; maximize, which 1.13's RAdam lacks, as torch 2.x computes "
             "it: the gradient negated before weight decay)",
    "adamax": "torch {v} (torch.optim.Adamax, foreach=False)",
    "nadam": "torch 2.x's torch.optim.NAdam (_single_tensor_nadam, maximize included) written out in torch {v}'s "
             "float32 ops; 1.13's own NAdam multiplies mu_t into mu_product_next twice, a bug torch 2.0 fixed",
    "nadamw": "torch 2.x's torch.optim.NAdam(decoupled_weight_decay=True) (_single_tensor_nadam) written out in "
              "torch {v}'s float32 ops: each parameter with a gradient shrunk by 1 - lr * weight_decay before the step",
    "asgd": "torch {v} (torch.optim.ASGD, foreach=False)",
    "adadelta": "torch {v} (torch.optim.Adadelta, foreach=False)",
    "adagrad": "torch {v} (torch.optim.Adagrad, foreach=False; each group's sums start at the group's "
               "initial_accumulator_value, where torch would use the constructor's for all)",
    "clip": "torch {v} (torch.nn.utils.clip_grad_norm_ / clip_grad_value_, then torch.optim.SGD, Adam or AdamW, foreach=False)",
    "scaler": "torch {v} (torch.cuda.amp.GradScaler's Python code with its two CUDA kernels written out for the CPU, "
              "then torch.optim.SGD, Adam or AdamW, foreach=False)",
}


# ---------------------------------------------------------------------------
# torch 2.x's NAdam, _single_tensor_nadam (torch/optim/nadam.py, non-differentiable branch), as
# its source computes it, in torch 1.13's float32 ops. torch 1.13's NAdam differs in two lines:
# it multiplies mu into mu_product_next twice (mu_product * mu * mu_next, float32 tensors) and
# updates exp_avg with mul_/add_ instead of lerp_. With torch113=True the class computes those
# two lines as 1.13 does, and check_nadam_transcription() matches torch.optim.NAdam bit for bit
# with it, which shows the rest is transcribed as torch runs it.

class NAdam2x(torch.optim.Optimizer):
    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, torch113=False):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, foreach=foreach, maximize=maximize)
        self.torch113 = torch113
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr, eps, wd, psi = group["lr"], group["eps"], group["weight_decay"], group["momentum_decay"]
            for param in group["params"]:
                if param.grad is None:
                    continue
                grad = -param.grad if group["maximize"] else param.grad
                state = self.state[param]
                if len(state) == 0:
                    state["step"] = torch.tensor(0.)
                    state["mu_product"] = torch.ones((), dtype=torch.float32)
                    state["exp_avg"] = torch.zeros_like(param)
                    state["exp_avg_sq"] = torch.zeros_like(param)
                exp_avg, exp_avg_sq, mu_product = state["exp_avg"], state["exp_avg_sq"], state["mu_product"]
                state["step"] += 1
                step = state["step"].item()
                bias_correction2 = 1 - beta2 ** step
                if wd != 0:
                    if group["decoupled_weight_decay"]:
                        param.mul_(1 - lr * wd)
                    else:
                        grad = grad.add(param, alpha=wd)
                mu = beta1 * (1. - 0.5 * (0.96 ** (step * psi)))
                mu_next = beta1 * (1. - 0.5 * (0.96 ** ((step + 1) * psi)))
                mu_product *= mu
                if self.torch113:
                    exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
                else:
                    exp_avg.lerp_(grad, 1 - beta1)
                exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                denom = exp_avg_sq.div(bias_correction2).sqrt()
                if self.torch113:
                    mu_product_next = (mu_product * mu * mu_next).item()
                else:
                    mu_product_next = mu_product.item() * mu_next
                denom.add_(eps)
                param.addcdiv_(grad, denom, value=(-lr * (1. - mu) / (1. - mu_product.item())))
                param.addcdiv_(exp_avg, denom, value=(-lr * mu_next) / (1. - mu_product_next))


class NAdamW2x(NAdam2x):
    """torch 2.x's NAdam(decoupled_weight_decay=True)."""
    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 *, foreach=None, maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, momentum_decay, True, foreach=foreach,
                         maximize=maximize)


def check_nadam_transcription():
    """NAdam2x(torch113=True) must reproduce torch 1.13's own NAdam bit for bit."""
    for options in ({}, {"weight_decay": 0.1, "momentum_decay": 0.01, "betas": (0.5, 0.9)}):
        torch.manual_seed(7)
        a = [torch.randn(33, 5, requires_grad=True), torch.randn(7, requires_grad=True)]
        b = [t.detach().clone().requires_grad_(True) for t in a]
        ours = NAdam2x(a, lr=1e-2, torch113=True, **options)
        theirs = torch.optim.NAdam(b, lr=1e-2, foreach=False, **options)
        for _ in range(50):
            grads = [torch.randn_like(t) for t in a]
            for t, u, g in zip(a, b, grads):
                t.grad, u.grad = g.clone(), g.clone()
            ours.step()
            theirs.step()
        for t, u in zip(a, b):
            assert torch.equal(t, u), "NAdam2x(torch113=True) drifted from torch.optim.NAdam"



TORCH_CLASSES = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW,
                 "rmsprop": torch.optim.RMSprop, "adagrad": torch.optim.Adagrad, "adamax": torch.optim.Adamax,
                 "adadelta": torch.optim.Adadelta, "rprop": torch.optim.Rprop, "radam": torch.optim.RAdam,
                 "radamw": torch.optim.RAdam, "nadam": NAdam2x, "nadamw": NAdamW2x, "asgd": torch.optim.ASGD,
                 "sparseadam": torch.optim.SparseAdam}
# Those without a foreach option.
NO_FOREACH = {"sparseadam"}

# Options Anneal has that these torch 1.13 classes lack, and how the generator writes them out as
# torch 2.x computes them.
WRITTEN_OUT = {"radam": {"maximize"}, "radamw": {"maximize", "weightDecay"}}


# torch options that take a pair, and our two names for its values.
TORCH_PAIRS = {"betas": ("beta1", "beta2"), "etas": ("etaMinus", "etaPlus"), "step_sizes": ("stepSizeMin", "stepSizeMax")}


def torch_kwargs(options, full):
    """Our option names -> torch kwargs; a pair needs both values, so fill from full."""
    paired = {name: pair for pair, names in TORCH_PAIRS.items() for name in names}
    kw = {}
    for key, value in options.items():
        if key in paired:
            first, second = TORCH_PAIRS[paired[key]]
            kw[paired[key]] = (options.get(first, full[first]), options.get(second, full[second]))
        else:
            kw[TORCH_NAMES[key]] = value
    return kw


# ---------------------------------------------------------------------------
# MindSpore nn.Momentum, as published in mindspore-ai/mindspore:
#  - nn/optim/momentum.py, Momentum.construct: gradients = decay_weight(g), then
#    gradients_centralization (off by default), then scale_grad, then
#    ApplyMomentum(weight, moment, lr, grad, momentum); moments start at zeros.
#  - nn/optim/optimizer.py: the stored weight decay is weight_decay * loss_scale
#    (per group too), held as a float32 Tensor; decay is applied only where it is
#    > 0, as AddN(weight * wd, grad). scale_grad multiplies by
#    Tensor(1.0 / loss_scale, float32), only when loss_scale != 1.0.
#    lr and momentum are float32 Parameters.
#  - ApplyMomentum (ops/operations/nn_ops.py doc; CPU kernel
#    apply_momentum_cpu_kernel.cc; GPU cuda_ops/momentum_impl.cu):
#      accum = accum * momentum + grad
#      w     = w - accum * lr                                  (plain)
#      w     = w - (grad * lr + accum * momentum * lr)         (use_nesterov)
#    where grad is the already decayed and unscaled gradient.

class MindSporeMomentum:
    def __init__(self, groups, momentum, nesterov, loss_scale):
        self.groups = []
        for g in groups:
            wd_scaled = g["weightDecay"] * loss_scale  # Python double, as in optimizer.py
            self.groups.append({
                "params": g["params"],
                "lr": torch.tensor(g["lr"], dtype=torch.float32),
                "wd": torch.tensor(wd_scaled, dtype=torch.float32) if wd_scaled > 0 else None,
            })
        self.momentum = torch.tensor(momentum, dtype=torch.float32)
        self.nesterov = nesterov
        self.inv_scale = (torch.tensor(1.0 / loss_scale, dtype=torch.float32)
                          if loss_scale != 1.0 else None)
        self.accum = {}

    def set_weight_decay(self, index, weight_decay, loss_scale):
        """MindSpore's dynamic weight decay: the value for this step, stored as in __init__."""
        wd_scaled = weight_decay * loss_scale
        self.groups[index]["wd"] = (torch.tensor(wd_scaled, dtype=torch.float32)
                                    if wd_scaled > 0 else None)

    @torch.no_grad()
    def step(self):
        for g in self.groups:
            lr = g["lr"]
            for p in g["params"]:
                grad = p.grad
                if g["wd"] is not None:
                    grad = torch.add(torch.mul(p, g["wd"]), grad)
                if self.inv_scale is not None:
                    grad = torch.mul(grad, self.inv_scale)
                accum = self.accum.setdefault(id(p), torch.zeros_like(p))
                accum.copy_(torch.add(torch.mul(accum, self.momentum), grad))
                if self.nesterov:
                    update = torch.add(torch.mul(grad, lr),
                                       torch.mul(torch.mul(accum, self.momentum), lr))
                else:
                    update = torch.mul(accum, lr)
                p.copy_(torch.sub(p, update))


# ---------------------------------------------------------------------------
# Lion, as published in Chen et al. 2023, "Symbolic Discovery of Optimization
# Algorithms", Algorithm 2 (no torch.optim class): with decoupled weight decay
# applied first, as AdamW does, and an optional maximize, per step and param
#   c = beta1 * m + (1 - beta1) * g
#   w = w * (1 - lr * wd) - lr * sign(c)
#   m = beta2 * m + (1 - beta2) * g          (m starts at zero)
# written out as the float32 torch ops below; a param without a gradient is
# skipped, as torch.optim does.

class Lion:
    def __init__(self, groups):
        self.param_groups = groups
        self.exp_avg = {}

    @torch.no_grad()
    def step(self):
        for g in self.param_groups:
            lr, beta1, beta2, wd = g["lr"], g["beta1"], g["beta2"], g["weightDecay"]
            for p in g["params"]:
                if p.grad is None:
                    continue
                grad = -p.grad if g.get("maximize") else p.grad
                if wd != 0:
                    p.mul_(1 - lr * wd)
                m = self.exp_avg.setdefault(id(p), torch.zeros_like(p))
                c = m.mul(beta1).add_(grad, alpha=1 - beta1)
                p.add_(torch.sign(c), alpha=-lr)
                m.mul_(beta2).add_(grad, alpha=1 - beta2)


# ---------------------------------------------------------------------------
# Optax's adabelief and yogi (optax/_src/transform.py, scale_by_belief and scale_by_yogi, then
# scale_by_learning_rate; adabelief's weight decay is add_decayed_weights, i.e. decoupled), with
# each parameter's own update count for the bias corrections, written out in the float32 torch
# ops below. JAX is not here, so the rounding is these ops', which Anneal's kernels follow.

class WrittenRule:
    def __init__(self, groups):
        self.param_groups = groups
        self.state = {}

    @torch.no_grad()
    def step(self):
        for g in self.param_groups:
            for p in g["params"]:
                if p.grad is None:
                    continue
                grad = -p.grad if g.get("maximize") else p.grad
                state = self.state.setdefault(id(p), {"count": 0})
                state["count"] += 1
                self.update(g, p, grad, state, state["count"])


class AdaBelief(WrittenRule):
    def update(self, g, p, grad, state, t):
        lr, b1, b2 = g["lr"], g["beta1"], g["beta2"]
        if g["weightDecay"] != 0:
            p.mul_(1 - lr * g["weightDecay"])
        m = state.setdefault("m", torch.zeros_like(p))
        s = state.setdefault("s", torch.zeros_like(p))
        m.mul_(b1).add_(grad, alpha=1 - b1)
        belief = grad - m
        s.mul_(b2).addcmul_(belief, belief, value=1 - b2).add_(g["epsRoot"])
        denom = s.div(1 - b2 ** t).sqrt().add_(g["eps"])
        p.add_(m.div(1 - b1 ** t).div(denom), alpha=-lr)


class Yogi(WrittenRule):
    def update(self, g, p, grad, state, t):
        lr, b1, b2 = g["lr"], g["beta1"], g["beta2"]
        m = state.setdefault("m", torch.full_like(p, g["initialAccumulatorValue"]))
        v = state.setdefault("v", torch.full_like(p, g["initialAccumulatorValue"]))
        m.mul_(b1).add_(grad, alpha=1 - b1)
        square = grad * grad
        v.sub_(torch.sign(v - square).mul(1 - b2).mul(square))
        denom = v.div(1 - b2 ** t).add(g["epsRoot"]).sqrt().add_(g["eps"])
        p.add_(m.div(1 - b1 ** t).div(denom), alpha=-lr)


# Optax's novograd (scale_by_novograd, then scale_by_learning_rate): the second moment is one number
# per tensor, from the tensor's gradient norm (jnp.linalg.norm, squared). Anneal folds the squares in
# double, so the norm here is summed in float64 and rounded to float32 before it is squared.
class NovoGrad(WrittenRule):
    def update(self, g, p, grad, state, t):
        lr, b1, b2 = g["lr"], g["beta1"], g["beta2"]
        norm = (grad.double() ** 2).sum().sqrt().float()
        norm_sq = norm * norm
        state["v"] = norm_sq if t == 1 else norm_sq * (1 - b2) + state["v"] * b2
        denom = (state["v"] + g["epsRoot"]).sqrt() + g["eps"]
        update = grad / denom + p * g["weightDecay"]
        if t == 1:
            state["m"] = update.clone()
        else:
            state["m"].mul_(b1).add_(update)
        p.add_(state["m"], alpha=-lr)


# MindSpore's optimizers (mindspore/nn/optim/*.py and their kernels' documented formulas). Before the
# rule, decay_weight adds w * (weight_decay * loss_scale) to the gradient, the factor stored in float32,
# and scale_grad divides by the loss scale (a multiply by its float32 reciprocal), as for Momentum.
class MindSporeRule(WrittenRule):
    @torch.no_grad()
    def step(self):
        for g in self.param_groups:
            for p in g["params"]:
                if p.grad is None:
                    continue
                state = self.state.setdefault(id(p), {"count": 0})
                state["count"] += 1
                self.update(g, p, mindspore_gradient(g, p, p.grad), state, state["count"])


def mindspore_gradient(g, p, grad):
    """MindSpore's decay_weight and scale_grad: the gradient its optimizers' kernels see."""
    decay = g["weightDecay"] * g.get("lossScale", 1.0)
    if decay > 0:
        grad = torch.add(torch.mul(p, torch.tensor(decay, dtype=torch.float32)), grad)
    if g.get("lossScale", 1.0) != 1.0:
        grad = torch.mul(grad, torch.tensor(1.0 / g["lossScale"], dtype=torch.float32))
    return grad


def norm64(x):
    """A tensor's Euclidean norm summed in float64 and rounded to float32, as Anneal's reductions take it."""
    return (x.double() ** 2).sum().sqrt().float()


# MindSpore's nn.Lamb (_update_run_op in nn/optim/lamb.py, in MindSpore's ops one by one): the trust
# ratio's norm puts eps inside the root (rsqrt), the update outside; every tensor's own norms.
class Lamb(WrittenRule):
    def update(self, g, p, grad, state, t):
        b1, b2, eps, wd = g["beta1"], g["beta2"], g["eps"], g["weightDecay"]
        m = state.setdefault("m", torch.zeros_like(p))
        v = state.setdefault("v", torch.zeros_like(p))
        m.copy_(m * b1 + grad * (1 - b1))
        v.copy_(v * b2 + (grad * grad) * (1 - b2))
        mh = m / (1 - b1 ** t)
        vh = v / (1 - b2 ** t)
        w_norm, g_norm = norm64(p), norm64(grad)
        u_norm = norm64(mh * (1 / (vh + eps).sqrt()) + p * wd)
        ratio = w_norm / u_norm if w_norm > 0 and g_norm > 0 else torch.tensor(1.0)
        update = mh / (vh.sqrt() + eps) + p * wd
        p.sub_(update * (ratio.clamp(0, 10) * g["lr"]))


# torch 2.5's Adafactor (torch/optim/_adafactor.py, _single_tensor_adafactor), which torch 1.13 lacks: a
# matrix (or a batch of them) keeps its second moment per row and per column. Its norms and the mean
# of the row moments are summed in float64 and rounded to float32, as Anneal takes them (torch sums
# them in float32); every other operation is torch's, in its order.
class Adafactor(WrittenRule):
    def update(self, g, p, grad, state, t):
        lr = g["lr"]
        beta = t ** g["beta2Decay"]
        rho = min(lr, 1 / (t ** 0.5))
        alpha = max(g["eps2"], norm64(p).item() / (p.numel() ** 0.5)) * rho
        if g["weightDecay"] != 0:
            p.mul_(1 - lr * g["weightDecay"])
        if grad.dim() > 1:
            rows = state.setdefault("row_var", torch.zeros(list(grad.shape[:-1]) + [1]))
            cols = state.setdefault("col_var", torch.zeros(list(grad.shape[:-2]) + [1, grad.shape[-1]]))
            row_mean = (grad.double() ** 2).sum(-1, keepdim=True).sqrt().float().square().div(grad.size(-1))
            rows.lerp_(row_mean, beta)
            col_mean = (grad.double() ** 2).sum(-2, keepdim=True).sqrt().float().square().div(grad.size(-2))
            cols.lerp_(col_mean, beta)
            estimate = (rows @ cols).div(rows.double().mean(-2, keepdim=True).float().clamp(min=g["eps1"]))
        else:
            variance = state.setdefault("variance", torch.zeros_like(p))
            variance.lerp_(grad * grad, beta)
            estimate = variance.clone()
        update = estimate.clamp(min=g["eps1"] * g["eps1"]).rsqrt().mul(grad)
        denom = max(1.0, norm64(update).item() / ((update.numel() ** 0.5) * g["d"]))
        p.add_(update, alpha=-alpha / denom)


# torch 2.9's Muon (torch/optim/_muon.py: _single_tensor_muon, _zeropower_via_newtonschulz, _adjust_lr),
# which torch 1.13 lacks. Its Newton-Schulz products are bfloat16 matrices; torch 2.x's kernels (cuBLAS,
# and the CPU's since 2.1) sum them in float32 and round to bfloat16 once, while 1.13's CPU addmm rounds
# after every term, so the products are written out in float32 and rounded once, as 2.x computes them.
def bf16_addmm(c_mat, a_mat, b_mat, beta, alpha):
    """torch.addmm on bfloat16 matrices as torch 2.x computes it: alpha * (a @ b) + beta * c in float32, one rounding."""
    product = a_mat.float() @ b_mat.float()
    if alpha != 1:
        product = product * alpha
    return (product + c_mat.float() * beta).bfloat16() if beta != 0 else product.bfloat16()


class Muon(WrittenRule):
    def update(self, g, p, grad, state, t):
        lr, momentum = g["lr"], g["momentum"]
        buf = state.setdefault("buf", torch.zeros_like(p))
        buf.lerp_(grad, 1 - momentum)
        update = grad.lerp(buf, momentum) if g["nesterov"] else buf
        x = update.bfloat16()
        tall = update.size(0) > update.size(1)
        if tall:
            x = x.T
        x = x.div(x.norm().clamp(min=g["eps"]))
        for _ in range(int(g["nsSteps"])):
            gram = bf16_addmm(x, x, x.T, 0, 1)
            gram_update = bf16_addmm(gram, gram, gram, g["nsB"], g["nsC"])
            x = bf16_addmm(x, gram_update, x, g["nsA"], 1)
        if tall:
            x = x.T
        rows, cols = p.shape
        ratio = 0.2 * math.sqrt(max(rows, cols)) if g["matchRmsAdamW"] else math.sqrt(max(1, rows / cols))
        p.mul_(1 - lr * g["weightDecay"])
        p.add_(x, alpha=-lr * ratio)


# MindSpore's nn.LARS around nn.Momentum (nn/optim/lars.py and LARSUpdate's documented formula): the
# gradient unscaled, then scaled by its tensor's trust ratio with the weight decay LARS takes over from
# the optimizer, then ApplyMomentum as above. A zero norm gives ratio 1, as TensorFlow's and Optax's LARS.
class Lars(WrittenRule):
    def update(self, g, p, grad, state, t):
        f32 = lambda x: torch.tensor(x, dtype=torch.float32)
        if g["lossScale"] != 1.0:
            grad = torch.mul(grad, f32(1.0 / g["lossScale"]))
        if g["trustRatio"]:
            wd = f32(g["weightDecay"])
            w_norm, g_norm = norm64(p), norm64(grad)
            ratio = f32(1.0)
            if w_norm > 0 and g_norm > 0:
                ratio = (f32(g["coefficient"]) * w_norm) / ((g_norm + wd * w_norm) + f32(g["eps"]))
            if g["useClip"]:
                ratio = torch.clamp(ratio / f32(g["lr"]), max=1.0)
            grad = (grad + p * wd) * ratio
        momentum, lr = f32(g["momentum"]), f32(g["lr"])
        accum = state.setdefault("accum", torch.zeros_like(p))
        accum.copy_(torch.add(torch.mul(accum, momentum), grad))
        if g["nesterov"]:
            update = torch.add(torch.mul(grad, lr), torch.mul(torch.mul(accum, momentum), lr))
        else:
            update = torch.mul(accum, lr)
        p.copy_(torch.sub(p, update))


class Ftrl(MindSporeRule):
    def update(self, g, p, grad, state, t):
        lr, power = g["lr"], -g["lrPower"]
        accum = state.setdefault("accum", torch.full_like(p, g["initialAccumulatorValue"]))
        linear = state.setdefault("linear", torch.zeros_like(p))

        def powered(x):
            # ApplyFtrl takes a square root for lr_power -0.5; any other power in float64, rounded once.
            return x.sqrt() if power == 0.5 else x.double().pow(power).float()
        new = torch.addcmul(accum, grad, grad)
        new_powered = powered(new)
        sigma = (new_powered - powered(accum)).div(lr)
        linear.add_(torch.addcmul(grad, sigma, p, value=-1))
        quadratic = new_powered.div(lr).add(2 * g["l2"])
        solved = torch.sign(linear).mul(g["l1"]).sub(linear).div(quadratic)
        p.copy_(torch.where(linear.abs() > g["l1"], solved, torch.zeros_like(p)))
        accum.copy_(new)


class ProximalAdagrad(MindSporeRule):
    def update(self, g, p, grad, state, t):
        lr = g["lr"]
        accum = state.setdefault("accum", torch.full_like(p, g["initialAccumulatorValue"]))
        accum.addcmul_(grad, grad)
        prox = p - grad.mul(lr).div(accum.sqrt())
        shrink = 1 + lr * g["l2"]
        if g["l1"] > 0:
            p.copy_(torch.sign(prox).div(shrink).mul(torch.clamp(prox.abs() - lr * g["l1"], min=0)))
        else:
            p.copy_(prox.div(shrink))


class AdamWeightDecay(WrittenRule):
    def update(self, g, p, grad, state, t):
        lr, b1, b2 = g["lr"], g["beta1"], g["beta2"]
        m = state.setdefault("m", torch.zeros_like(p))
        v = state.setdefault("v", torch.zeros_like(p))
        m.mul_(b1).add_(grad, alpha=1 - b1)
        v.mul_(b2).addcmul_(grad, grad, value=1 - b2)
        update = m.div(v.sqrt().add_(g["eps"]))
        update.add_(p, alpha=g["weightDecay"])
        p.add_(update, alpha=-lr)


class MindSporeAdam(MindSporeRule):
    def update(self, g, p, grad, state, t):
        lr, b1, b2 = g["lr"], g["beta1"], g["beta2"]
        m = state.setdefault("m", torch.zeros_like(p))
        v = state.setdefault("v", torch.zeros_like(p))
        m.mul_(b1).add_(grad, alpha=1 - b1)
        v.mul_(b2).addcmul_(grad, grad, value=1 - b2)
        step_size = lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        direction = m.mul(b1).add(grad, alpha=1 - b1) if g["nesterov"] else m
        p.add_(direction.div(v.sqrt().add_(g["eps"])), alpha=-step_size)


def touched_rows(grad):
    """The rows (slices along the first dimension; a vector's elements; a scalar's one) of a
    gradient that are not all zero: those a sparse gradient of the same values would list."""
    rows = grad.reshape(1, -1) if grad.dim() == 0 else grad.reshape(grad.shape[0], -1)
    return (rows != 0).any(dim=1).nonzero().flatten()


class LazyAdam(MindSporeAdam):
    """MindSpore's nn.LazyAdam with a sparse gradient: decay_weight and scale_grad on the listed rows
    (its RowTensor path), then FusedSparseLazyAdam's Adam on those rows only; both moments and the
    weights of every other row stay as they are, while beta1_power and beta2_power advance every step."""
    @torch.no_grad()
    def step(self):
        for g in self.param_groups:
            for p in g["params"]:
                if p.grad is None:
                    continue
                state = self.state.setdefault(id(p), {"count": 0})
                state["count"] += 1
                rows = touched_rows(p.grad)
                shape = (1,) if p.dim() == 0 else p.shape
                flat = p.view(shape)
                moments = {k: state.setdefault(k, torch.zeros(shape)) for k in ("m", "v")}
                w = flat[rows]
                picked = {"m": moments["m"][rows], "v": moments["v"][rows]}
                self.update(g, w, mindspore_gradient(g, w, p.grad.view(shape)[rows]), picked, state["count"])
                flat[rows] = w
                for k in moments:
                    moments[k][rows] = picked[k]


class Adan(WrittenRule):
    def update(self, g, p, grad, state, t):
        b1, b2, b3 = g["beta1"], g["beta2"], g["beta3"]
        m = state.setdefault("m", torch.zeros_like(p))
        v = state.setdefault("v", torch.zeros_like(p))
        n = state.setdefault("n", torch.zeros_like(p))
        prev = state.setdefault("prev", torch.zeros_like(p))
        diff = torch.zeros_like(p) if t == 1 else grad - prev
        m.mul_(b1).add_(grad, alpha=1 - b1)
        v.mul_(b2).add_(diff, alpha=1 - b2)
        ahead = grad.add(diff, alpha=1 - b2)
        n.mul_(b3).addcmul_(ahead, ahead, value=1 - b3)
        u = m.div(1 - b1 ** t).add(v.div(1 - b2 ** t), alpha=1 - b2)
        u = u.div(n.div(1 - b3 ** t).add(g["epsRoot"]).sqrt().add_(g["eps"]))
        u.add_(p, alpha=g["weightDecay"])
        p.add_(u, alpha=-g["lr"])
        prev.copy_(grad)


# AdEMAMix: Optax's contrib.ademamix, with the warmups of the paper's reference code (linear in
# alpha from 0; beta3 from beta1 with its half-life linear), both by the tensor's update count.
def ademamix_alpha(g, t):
    if t < g["alphaWarmup"]:
        a = t / float(g["alphaWarmup"])
        return (1.0 - a) * 0.0 + a * g["alpha"]
    return g["alpha"]


def ademamix_beta3(g, t):
    def half_life(beta):
        return math.log(0.5) / math.log(beta + 1e-8) - 1

    if t < g["beta3Warmup"]:
        a = t / float(g["beta3Warmup"])
        return math.pow(0.5, 1 / ((1.0 - a) * half_life(g["beta1"]) + a * half_life(g["beta3"]) + 1))
    return g["beta3"]


class AdEMAMix(WrittenRule):
    def update(self, g, p, grad, state, t):
        b1, b2, b3 = g["beta1"], g["beta2"], ademamix_beta3(g, t)
        fast = state.setdefault("fast", torch.zeros_like(p))
        slow = state.setdefault("slow", torch.zeros_like(p))
        nu = state.setdefault("nu", torch.zeros_like(p))
        fast.mul_(b1).add_(grad, alpha=1 - b1)
        slow.mul_(b3).add_(grad, alpha=1 - b3)
        nu.mul_(b2).addcmul_(grad, grad, value=1 - b2)
        u = fast.div(1 - b1 ** t).add(slow, alpha=ademamix_alpha(g, t))
        u = u.div(nu.div(1 - b2 ** t).add(g["epsRoot"]).sqrt().add_(g["eps"]))
        u.add_(p, alpha=g["weightDecay"])
        p.add_(u, alpha=-g["lr"])


# Schedule-Free (Optax's contrib.schedule_free): the model holds y, the state z (from the weights)
# and, per tensor, the float32 weight_sum and max_lr; x, the weights to evaluate, is computed.
class ScheduleFree(WrittenRule):
    adaptive = True

    def update(self, g, p, grad, state, t):
        lr, b1 = g["lr"], g["beta1"]
        max_lr = np.maximum(state.get("max_lr", np.float32(0)), np.float32(lr))
        weight = np.float32(float(max_lr) ** g["weightLrPower"])
        weight_sum = np.float32(state.get("weight_sum", np.float32(0)) + weight)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.float32(weight / weight_sum)
        c = math.nan if math.isnan(weight) or math.isnan(weight_sum) else (0.0 if math.isnan(ratio) else float(ratio))
        state["max_lr"], state["weight_sum"] = max_lr, weight_sum
        z = state.setdefault("z", p.clone())
        if self.adaptive:
            b2 = g["beta2"]
            v = state.setdefault("v", torch.zeros_like(p))
            v.mul_(b2).addcmul_(grad, grad, value=1 - b2)
            # Optax's scale_by_rms(eps_in_sqrt=False): a reciprocal, then a product.
            u = grad.mul(v.div(1 - b2 ** t).sqrt().add_(g["eps"]).reciprocal()).add(p, alpha=g["weightDecay"])
        else:
            u = grad.add(p, alpha=g["weightDecay"]) if g["weightDecay"] != 0 else grad
        after = z + u.mul(-lr)
        x = p.sub(z, alpha=1 - b1).div(b1)
        x.lerp_(after, c)
        p.copy_(x.lerp(after, 1 - b1))
        z.copy_(after)


class ScheduleFreeSgd(ScheduleFree):
    adaptive = False


# Prodigy: Optax's contrib.prodigy. d (estim_lr) and r (numerator_weighted) are one float32 each for
# all tensors; the step's two sums, over every tensor with a gradient, are folded in float64 and
# rounded to float32, as Anneal takes them. Every other operation is float32, one rounding each, in
# Optax's order; dlr is formed in float64 and rounded once. Where Optax would divide 0 by 0 (every
# gradient so far zero) d stays, as the authors' prodigyopt skips such a step.
class Prodigy(WrittenRule):
    @torch.no_grad()
    def step(self):
        f32 = np.float32
        first = self.param_groups[0]
        for key in ("lr", "beta1", "beta2", "beta3", "d0", "dCoef", "safeguardWarmup"):
            assert all(g[key] == first[key] for g in self.param_groups), key
        if not hasattr(self, "d"):
            self.d, self.r, self.t = f32(first["d0"]), f32(0), 0
        self.t += 1
        t, d, d0 = self.t, self.d, f32(first["d0"])
        b1, b2 = first["beta1"], first["beta2"]
        b3 = f32(first["beta3"] or math.sqrt(b2))
        dlr = f32(float(d) * first["lr"] * (math.sqrt(1 - b2 ** t) / (1 - b1 ** t)))
        scale = d if first["safeguardWarmup"] else dlr
        live = [(g, p) for g in self.param_groups for p in g["params"] if p.grad is not None]
        numerator, denominator = 0.0, 0.0
        for g, p in live:
            w, grad = p.detach().numpy(), p.grad.numpy()
            state = self.state.setdefault(id(p), {"count": 0})
            if state["count"] == 0:
                for name in ("m", "v", "s"):
                    state[name] = np.zeros_like(w)
                state["p0"] = w.copy()
            numerator += (grad * (state["p0"] - w)).astype(np.float64).sum()
            s_next = b3 * state["s"] + ((grad * d) * scale) / d0
            denominator += np.abs(s_next).astype(np.float64).sum()
        self.r = b3 * self.r + ((d / d0) * dlr) * f32(numerator)
        estimate = (f32(first["dCoef"]) * self.r) / f32(denominator)
        d_next = np.maximum(d, estimate) if f32(denominator) > 0 else d
        for g, p in live:
            w, grad = p.detach().numpy(), p.grad.numpy()
            state = self.state[id(p)]
            state["count"] += 1
            dg = grad * d
            state["m"] = f32(b1) * state["m"] + f32(1 - b1) * dg
            state["v"] = f32(b2) * state["v"] + (f32(1 - b2) * dg) * dg
            state["s"] = b3 * state["s"] + ((grad * d) * scale) / d0
            update = (-dlr * state["m"]) / (np.sqrt(state["v"]) + d_next * f32(g["eps"]))
            w[...] = w + (update - (f32(g["weightDecay"]) * dlr) * w)
        self.d = d_next


WRITTEN_RULES = {"prodigy": Prodigy, "schedulefreeadamw": ScheduleFree, "schedulefreesgd": ScheduleFreeSgd,
                 "lion": Lion, "adabelief": AdaBelief, "yogi": Yogi, "novograd": NovoGrad, "ftrl": Ftrl, "proximaladagrad": ProximalAdagrad,
                 "adamweightdecay": AdamWeightDecay, "mindsporeadam": MindSporeAdam, "lazyadam": LazyAdam, "adan": Adan,
                 "ademamix": AdEMAMix, "lamb": Lamb, "lars": Lars, "muon": Muon, "adafactor": Adafactor}


# ---------------------------------------------------------------------------
# Cases. groups: None = one group with every param and no overrides; otherwise
# a list of (param names, overrides) in param_groups order.

def G(*groups):
    return list(groups)


CASES = {
    "sgd": [
        dict(name="plain-defaults", set="conv"),
        dict(name="plain-lr-1.0", set="tiny", opts={"lr": 1.0}),
        dict(name="plain-lr-0.1-grad-scale-100", set="mlp", grad_scale=100.0, opts={"lr": 0.1}),
        dict(name="plain-lr-0.5-grad-scale-0.01", set="embed", grad_scale=0.01, opts={"lr": 0.5}),
        dict(name="momentum-0.9", set="conv", opts={"momentum": 0.9}),
        dict(name="momentum-0.5-lr-0.1", set="mlp", opts={"momentum": 0.5, "lr": 0.1}),
        dict(name="momentum-0.9-dampening-0.5", set="embed", opts={"momentum": 0.9, "dampening": 0.5}),
        dict(name="momentum-0.99-dampening-0.1-wide-conv", set="wide",
             opts={"momentum": 0.99, "dampening": 0.1, "lr": 0.001}),
        dict(name="nesterov-momentum-0.9", set="conv", opts={"momentum": 0.9, "nesterov": True}),
        dict(name="nesterov-momentum-0.5-lr-0.1", set="tiny",
             opts={"momentum": 0.5, "nesterov": True, "lr": 0.1}),
        dict(name="weight-decay-0.1-lr-0.1", set="mlp", opts={"weightDecay": 0.1, "lr": 0.1}),
        dict(name="weight-decay-1e-4-momentum-0.9", set="conv",
             opts={"weightDecay": 1e-4, "momentum": 0.9}),
        dict(name="maximize", set="embed", opts={"maximize": True}),
        dict(name="maximize-momentum-0.9", set="mlp", opts={"maximize": True, "momentum": 0.9}),
        dict(name="nesterov-weight-decay-maximize", set="conv",
             opts={"momentum": 0.9, "nesterov": True, "weightDecay": 0.05, "maximize": True}),
        dict(name="momentum-dampening-weight-decay-maximize", set="tiny",
             opts={"momentum": 0.8, "dampening": 0.3, "weightDecay": 0.01, "maximize": True,
                   "lr": 0.05}),
        dict(name="dampening-ignored-without-momentum", set="tiny", opts={"dampening": 0.5}),
        dict(name="init-scale-10-momentum-0.9-weight-decay-0.5", set="embed", init_scale=10.0,
             opts={"lr": 0.05, "momentum": 0.9, "weightDecay": 0.5}),
        dict(name="wide-conv-momentum-weight-decay-grad-scale-100", set="wide", grad_scale=100.0,
             opts={"lr": 0.001, "momentum": 0.9, "weightDecay": 0.01}),
        dict(name="two-groups-different-lr", set="mlp",
             groups=G((["fc1.weight", "fc1.bias"], {"lr": 0.1}),
                      (["fc2.weight", "fc2.bias", "temperature"], {}))),
        dict(name="two-groups-different-lr-weight-decay", set="conv", opts={"momentum": 0.9},
             groups=G((["conv.weight"], {"lr": 0.05, "weightDecay": 0.01}),
                      (["conv.bias", "scale"], {}))),
        dict(name="groups-different-momentum", set="mlp", opts={"lr": 0.05},
             groups=G((["fc1.weight", "fc2.weight"], {"momentum": 0.9}),
                      (["fc1.bias", "fc2.bias", "temperature"], {}))),
        dict(name="groups-nesterov-differs", set="embed", opts={"momentum": 0.9},
             groups=G((["embed.weight"], {"nesterov": True}),
                      (["head.weight", "head.bias"], {"dampening": 0.2}))),
        dict(name="groups-maximize-differs", set="tiny", opts={"momentum": 0.5},
             groups=G((["w"], {"maximize": True}), (["v", "s"], {}))),
        dict(name="three-groups-lr-weight-decay-momentum", set="conv", opts={"weightDecay": 0.001},
             groups=G((["conv.weight"], {"lr": 0.02, "momentum": 0.9}),
                      (["conv.bias"], {"weightDecay": 0.0, "momentum": 0.5, "nesterov": True}),
                      (["scale"], {"lr": 0.1, "weightDecay": 0.1}))),
        dict(name="momentum-dampening-param-without-gradient-steps-1-4", set="tiny",
             opts={"momentum": 0.9, "dampening": 0.5, "lr": 0.05}, frozen={"v": (1, 4)}),
        dict(name="nesterov-param-without-gradient-steps-30-45", set="mlp",
             opts={"momentum": 0.9, "nesterov": True, "lr": 0.05}, frozen={"fc1.bias": (30, 45)}),
        dict(name="scheduled-momentum-and-weight-decay-per-group", set="conv",
             opts={"momentum": 0.9, "lr": 0.05},
             groups=G((["conv.weight"], {}), (["conv.bias", "scale"], {"lr": 0.1})),
             scheduled={0: {"momentum": ("cosine", 0.95, 0.5), "weightDecay": ("step", 0.0, 0.01, 40)},
                        1: {"momentum": ("triangle", 0.6, 0.9, 25), "lr": ("linear", 0.1, 0.01)}}),
    ],
    "adam": [
        dict(name="defaults", set="conv"),
        dict(name="lr-0.1", set="mlp", opts={"lr": 0.1}),
        dict(name="betas-0.8-0.99", set="embed", opts={"beta1": 0.8, "beta2": 0.99, "lr": 0.01}),
        dict(name="beta1-0.0-beta2-0.9", set="tiny", opts={"beta1": 0.0, "beta2": 0.9, "lr": 0.01}),
        dict(name="eps-1e-3-grad-scale-0.01", set="conv", grad_scale=0.01, opts={"eps": 1e-3}),
        dict(name="eps-1e-6-grad-scale-0.01", set="tiny", grad_scale=0.01, opts={"eps": 1e-6}),
        dict(name="weight-decay-0.1", set="mlp", opts={"weightDecay": 0.1, "lr": 0.01}),
        dict(name="amsgrad", set="embed", opts={"amsgrad": True, "lr": 0.01}),
        dict(name="amsgrad-betas-wide-conv", set="wide",
             opts={"amsgrad": True, "beta1": 0.5, "beta2": 0.9}),
        dict(name="maximize", set="tiny", opts={"maximize": True, "lr": 0.01}),
        dict(name="amsgrad-maximize-weight-decay", set="conv",
             opts={"amsgrad": True, "maximize": True, "weightDecay": 0.1, "lr": 0.01}),
        dict(name="grad-scale-100", set="mlp", grad_scale=100.0),
        dict(name="grad-scale-0.01-init-scale-0.1", set="embed", grad_scale=0.01, init_scale=0.1),
        dict(name="lr-1.0-amsgrad", set="tiny", opts={"lr": 1.0, "amsgrad": True}),
        dict(name="wide-conv-lr-0.05-weight-decay-0.01-grad-scale-100", set="wide",
             grad_scale=100.0, opts={"lr": 0.05, "weightDecay": 0.01}),
        dict(name="two-groups-different-lr", set="conv",
             groups=G((["conv.weight"], {"lr": 0.01}), (["conv.bias", "scale"], {}))),
        dict(name="two-groups-different-lr-weight-decay", set="mlp",
             groups=G((["fc1.weight", "fc1.bias"], {"lr": 0.01, "weightDecay": 0.1}),
                      (["fc2.weight", "fc2.bias", "temperature"], {}))),
        dict(name="three-groups-lr-weight-decay-amsgrad", set="embed", opts={"weightDecay": 0.01},
             groups=G((["embed.weight"], {"lr": 0.01, "amsgrad": True}),
                      (["head.weight"], {"weightDecay": 0.0}),
                      (["head.bias"], {"lr": 0.05, "weightDecay": 0.1}))),
        dict(name="groups-amsgrad-differs", set="tiny", opts={"lr": 0.01},
             groups=G((["w", "s"], {"amsgrad": True}), (["v"], {}))),
        dict(name="groups-maximize-differs", set="mlp",
             groups=G((["fc1.weight", "fc2.weight"], {}),
                      (["fc1.bias", "fc2.bias", "temperature"], {"maximize": True}))),
        dict(name="groups-betas-eps-differ", set="conv",
             groups=G((["conv.weight"], {"beta1": 0.5, "beta2": 0.9}),
                      (["conv.bias", "scale"], {"eps": 1e-4}))),
        dict(name="amsgrad-maximize-two-groups", set="conv",
             opts={"amsgrad": True, "maximize": True},
             groups=G((["conv.weight"], {"lr": 0.01, "weightDecay": 0.1}),
                      (["conv.bias", "scale"], {}))),
        dict(name="all-options-two-groups", set="embed",
             opts={"lr": 0.005, "beta1": 0.85, "beta2": 0.995, "eps": 1e-7, "weightDecay": 0.05,
                   "amsgrad": True, "maximize": True},
             groups=G((["embed.weight", "head.bias"], {}),
                      (["head.weight"], {"lr": 0.02, "amsgrad": False}))),
        dict(name="param-without-gradient-steps-1-4", set="mlp", opts={"lr": 0.1},
             frozen={"fc1.bias": (1, 4)}),
        dict(name="amsgrad-param-without-gradient-steps-20-35", set="conv",
             opts={"amsgrad": True, "lr": 0.01}, frozen={"scale": (20, 35)}),
        dict(name="scheduled-beta1-and-weight-decay-per-group", set="mlp", opts={"lr": 0.01},
             groups=G((["fc1.weight", "fc1.bias"], {}), (["fc2.weight", "fc2.bias", "temperature"], {})),
             scheduled={0: {"beta1": ("triangle", 0.85, 0.95, 30), "weightDecay": ("linear", 0.0, 0.1)},
                        1: {"beta2": ("step", 0.99, 0.999, 50), "eps": ("linear", 1e-6, 1e-8)}}),
    ],
    "adamw": [
        dict(name="defaults", set="conv"),
        dict(name="no-weight-decay", set="mlp", opts={"weightDecay": 0.0}),
        dict(name="lr-0.1", set="embed", opts={"lr": 0.1}),
        dict(name="weight-decay-0.1-lr-0.01", set="tiny", opts={"weightDecay": 0.1, "lr": 0.01}),
        dict(name="weight-decay-1.0", set="conv", opts={"weightDecay": 1.0}),
        dict(name="betas-0.8-0.99", set="mlp", opts={"beta1": 0.8, "beta2": 0.99, "lr": 0.01}),
        dict(name="beta1-0.0-amsgrad", set="conv", opts={"beta1": 0.0, "amsgrad": True}),
        dict(name="eps-1e-3-grad-scale-0.01", set="embed", grad_scale=0.01, opts={"eps": 1e-3}),
        dict(name="eps-1e-6-grad-scale-0.01", set="tiny", grad_scale=0.01, opts={"eps": 1e-6}),
        dict(name="amsgrad", set="conv", opts={"amsgrad": True, "lr": 0.01}),
        dict(name="maximize", set="mlp", opts={"maximize": True, "lr": 0.01}),
        dict(name="amsgrad-maximize-weight-decay-0.1", set="embed",
             opts={"amsgrad": True, "maximize": True, "weightDecay": 0.1, "lr": 0.01}),
        dict(name="wide-conv-grad-scale-100", set="wide", grad_scale=100.0),
        dict(name="wide-conv-lr-0.01-weight-decay-0.05", set="wide",
             opts={"lr": 0.01, "weightDecay": 0.05}),
        dict(name="init-scale-10-weight-decay-0.5-lr-0.01", set="tiny", init_scale=10.0,
             opts={"weightDecay": 0.5, "lr": 0.01}),
        dict(name="lr-1.0", set="tiny", opts={"lr": 1.0}),
        dict(name="two-groups-different-lr", set="mlp",
             groups=G((["fc1.weight", "fc1.bias"], {"lr": 0.01}),
                      (["fc2.weight", "fc2.bias", "temperature"], {}))),
        dict(name="two-groups-different-lr-weight-decay", set="conv",
             groups=G((["conv.weight"], {"lr": 0.01, "weightDecay": 0.1}),
                      (["conv.bias", "scale"], {"weightDecay": 0.0}))),
        dict(name="three-groups-lr-weight-decay-amsgrad", set="embed",
             groups=G((["embed.weight"], {"lr": 0.01, "amsgrad": True}),
                      (["head.weight"], {"weightDecay": 0.0}),
                      (["head.bias"], {"lr": 0.05, "weightDecay": 0.1}))),
        dict(name="groups-amsgrad-differs", set="mlp", opts={"lr": 0.01},
             groups=G((["fc1.weight", "fc2.weight", "temperature"], {"amsgrad": True}),
                      (["fc1.bias", "fc2.bias"], {}))),
        dict(name="groups-maximize-differs", set="conv", opts={"lr": 0.01},
             groups=G((["conv.weight"], {"maximize": True}), (["conv.bias", "scale"], {}))),
        dict(name="groups-betas-differ", set="tiny",
             groups=G((["w"], {"beta1": 0.5}), (["v", "s"], {"beta2": 0.9, "eps": 1e-4}))),
        dict(name="all-options-two-groups", set="embed",
             opts={"lr": 0.005, "beta1": 0.85, "beta2": 0.995, "eps": 1e-7, "weightDecay": 0.05,
                   "amsgrad": True, "maximize": True},
             groups=G((["embed.weight", "head.bias"], {}),
                      (["head.weight"], {"lr": 0.02, "amsgrad": False, "weightDecay": 0.2}))),
        dict(name="param-without-gradient-steps-1-4", set="tiny", opts={"lr": 0.05, "weightDecay": 0.1},
             frozen={"w": (1, 4)}),
        dict(name="weight-decay-param-without-gradient-steps-50-60", set="embed",
             opts={"lr": 0.01, "weightDecay": 0.05}, frozen={"head.weight": (50, 60)}),
        dict(name="scheduled-weight-decay-per-group", set="conv", opts={"lr": 0.02},
             groups=G((["conv.weight"], {}), (["conv.bias", "scale"], {})),
             scheduled={0: {"weightDecay": ("cosine", 0.1, 0.001)}, 1: {"weightDecay": ("step", 0.05, 0.0, 60)}}),
    ],
    "momentum": [
        dict(name="defaults", set="conv"),
        dict(name="momentum-0.0", set="mlp", opts={"momentum": 0.0}),
        dict(name="momentum-0.5-lr-0.1", set="embed", opts={"momentum": 0.5, "lr": 0.1}),
        dict(name="momentum-0.99-lr-0.001", set="tiny", opts={"momentum": 0.99, "lr": 0.001}),
        dict(name="nesterov", set="conv", opts={"nesterov": True}),
        dict(name="nesterov-momentum-0.5-lr-0.1", set="mlp",
             opts={"nesterov": True, "momentum": 0.5, "lr": 0.1}),
        dict(name="weight-decay-0.1-lr-0.05", set="embed", opts={"weightDecay": 0.1, "lr": 0.05}),
        dict(name="weight-decay-1e-4-wide-conv", set="wide", opts={"weightDecay": 1e-4}),
        dict(name="nesterov-weight-decay-0.01", set="tiny", opts={"nesterov": True, "weightDecay": 0.01}),
        dict(name="momentum-0.0-weight-decay-0.1-grad-scale-0.01", set="conv", grad_scale=0.01,
             opts={"momentum": 0.0, "weightDecay": 0.1, "lr": 0.1}),
        dict(name="loss-scale-128", set="mlp", grad_scale=128.0, opts={"lossScale": 128.0}),
        dict(name="loss-scale-1024", set="conv", grad_scale=1024.0, opts={"lossScale": 1024.0}),
        dict(name="loss-scale-1024-small-grads", set="embed", grad_scale=10.24,
             opts={"lossScale": 1024.0}),
        dict(name="loss-scale-1000-non-power-of-two", set="tiny", grad_scale=1000.0,
             opts={"lossScale": 1000.0}),
        dict(name="weight-decay-0.01-loss-scale-128", set="embed", grad_scale=128.0,
             opts={"weightDecay": 0.01, "lossScale": 128.0}),
        dict(name="nesterov-weight-decay-1e-4-loss-scale-1024", set="conv", grad_scale=1024.0,
             opts={"nesterov": True, "weightDecay": 1e-4, "lossScale": 1024.0}),
        dict(name="lr-1.0-momentum-0.5", set="tiny", opts={"lr": 1.0, "momentum": 0.5}),
        dict(name="init-scale-10-weight-decay-0.5", set="embed", init_scale=10.0,
             opts={"weightDecay": 0.5}),
        dict(name="wide-conv-lr-0.001-grad-scale-100", set="wide", grad_scale=100.0,
             opts={"lr": 0.001}),
        dict(name="two-groups-different-lr", set="mlp",
             groups=G((["fc1.weight", "fc1.bias"], {"lr": 0.1}),
                      (["fc2.weight", "fc2.bias", "temperature"], {}))),
        dict(name="two-groups-different-lr-weight-decay", set="conv",
             groups=G((["conv.weight"], {"lr": 0.05, "weightDecay": 0.01}),
                      (["conv.bias", "scale"], {}))),
        dict(name="three-groups-lr-weight-decay", set="embed", opts={"weightDecay": 0.001},
             groups=G((["embed.weight"], {"lr": 0.02}),
                      (["head.weight"], {"weightDecay": 0.0}),
                      (["head.bias"], {"lr": 0.1, "weightDecay": 0.1}))),
        dict(name="groups-weight-decay-loss-scale-1024", set="mlp", grad_scale=1024.0,
             opts={"lossScale": 1024.0},
             groups=G((["fc1.weight", "fc2.weight"], {"weightDecay": 0.05}),
                      (["fc1.bias", "fc2.bias", "temperature"], {"lr": 0.05}))),
        dict(name="groups-nesterov-lr-weight-decay", set="tiny", opts={"nesterov": True},
             groups=G((["w"], {"lr": 0.05, "weightDecay": 0.1}), (["v", "s"], {}))),
        dict(name="scheduled-weight-decay-per-group-loss-scale-128", set="conv",
             opts={"lossScale": 128.0}, grad_scale=128.0,
             groups=G((["conv.weight"], {}), (["conv.bias", "scale"], {"lr": 0.05})),
             scheduled={0: {"weightDecay": ("linear", 0.0, 0.05)}, 1: {"weightDecay": ("step", 0.01, 0.0, 50)}}),
    ],
    "lion": [
        dict(name="defaults", set="conv"),
        dict(name="lr-1e-3", set="mlp", opts={"lr": 1e-3}),
        dict(name="betas-0.95-0.98", set="embed", opts={"beta1": 0.95, "beta2": 0.98, "lr": 3e-4}),
        dict(name="beta1-0.0-sign-of-gradient", set="tiny", opts={"beta1": 0.0, "lr": 1e-3}),
        dict(name="beta2-0.0", set="wide", opts={"beta2": 0.0}),
        dict(name="weight-decay-0.1-lr-1e-3", set="conv", opts={"weightDecay": 0.1, "lr": 1e-3}),
        dict(name="weight-decay-1.0-wide-conv", set="wide", opts={"weightDecay": 1.0, "lr": 3e-4}),
        dict(name="maximize", set="mlp", opts={"maximize": True, "lr": 1e-3}),
        dict(name="maximize-weight-decay-0.5", set="tiny", opts={"maximize": True, "weightDecay": 0.5}),
        dict(name="grad-scale-0.01-init-scale-10", set="embed", grad_scale=0.01, init_scale=10.0,
             opts={"lr": 1e-2}),
        dict(name="grad-scale-100-weight-decay-0.01", set="wide", grad_scale=100.0,
             opts={"lr": 1e-3, "weightDecay": 0.01}),
        dict(name="two-groups-different-lr-weight-decay", set="conv",
             groups=G((["conv.weight"], {"lr": 1e-3, "weightDecay": 0.1}), (["conv.bias", "scale"], {}))),
        dict(name="three-groups-betas-weight-decay-maximize", set="embed", opts={"weightDecay": 0.01},
             groups=G((["embed.weight"], {"beta1": 0.5}),
                      (["head.weight"], {"beta2": 0.9, "weightDecay": 0.0}),
                      (["head.bias"], {"lr": 1e-3, "maximize": True}))),
        dict(name="lr-0.1", set="conv", opts={"lr": 0.1}),
        dict(name="betas-0.99-0.999", set="embed", opts={"beta1": 0.99, "beta2": 0.999, "lr": 1e-3}),
        dict(name="wide-conv-weight-decay-0.01-maximize", set="wide",
             opts={"weightDecay": 0.01, "maximize": True, "lr": 3e-4}),
        dict(name="groups-maximize-differs", set="mlp", opts={"lr": 1e-3},
             groups=G((["fc1.weight", "fc2.weight"], {"maximize": True}),
                      (["fc1.bias", "fc2.bias", "temperature"], {}))),
        dict(name="groups-betas-differ", set="tiny",
             groups=G((["w"], {"beta1": 0.5, "beta2": 0.9}), (["v", "s"], {"lr": 1e-3}))),
        dict(name="param-without-gradient-steps-10-20", set="mlp", opts={"lr": 1e-3, "weightDecay": 0.1},
             frozen={"fc2.weight": (10, 20)}),
        dict(name="scheduled-lr-and-betas-per-group", set="conv",
             groups=G((["conv.weight"], {}), (["conv.bias", "scale"], {"weightDecay": 0.05})),
             scheduled={0: {"lr": ("cosine", 1e-3, 1e-5), "beta1": ("triangle", 0.8, 0.95, 30)},
                        1: {"beta2": ("step", 0.99, 0.9, 50), "weightDecay": ("linear", 0.05, 0.0)}}),
    ],
    "rmsprop": [
        dict(name="defaults", set="conv"),
        dict(name="lr-1e-3", set="mlp", opts={"lr": 1e-3}),
        dict(name="alpha-0.9", set="embed", opts={"alpha": 0.9, "lr": 1e-3}),
        dict(name="alpha-0.0", set="tiny", opts={"alpha": 0.0, "lr": 1e-3}),
        dict(name="eps-1e-3", set="wide", opts={"eps": 1e-3}),
        dict(name="centered", set="conv", opts={"centered": True, "lr": 1e-3}),
        dict(name="centered-alpha-0.9-eps-1e-6", set="mlp", opts={"centered": True, "alpha": 0.9, "eps": 1e-6, "lr": 1e-3}),
        dict(name="momentum-0.9", set="embed", opts={"momentum": 0.9, "lr": 1e-3}),
        dict(name="momentum-0.5-centered", set="tiny", opts={"momentum": 0.5, "centered": True, "lr": 1e-3}),
        dict(name="weight-decay-0.1", set="conv", opts={"weightDecay": 0.1, "lr": 1e-3}),
        dict(name="weight-decay-momentum-centered-maximize", set="wide",
             opts={"weightDecay": 0.01, "momentum": 0.9, "centered": True, "maximize": True, "lr": 1e-3}),
        dict(name="maximize", set="mlp", opts={"maximize": True}),
        dict(name="grad-scale-100-init-scale-10", set="embed", grad_scale=100.0, init_scale=10.0, opts={"lr": 1e-3}),
        dict(name="grad-scale-0.01-momentum-0.9", set="conv", grad_scale=0.01, opts={"momentum": 0.9, "lr": 1e-4}),
        dict(name="two-groups-different-lr-alpha", set="mlp",
             groups=G((["fc1.weight", "fc1.bias"], {"lr": 1e-3, "alpha": 0.9}),
                      (["fc2.weight", "fc2.bias", "temperature"], {}))),
        dict(name="groups-centered-differs", set="conv", opts={"lr": 1e-3},
             groups=G((["conv.weight"], {"centered": True}), (["conv.bias", "scale"], {"momentum": 0.9}))),
        dict(name="three-groups-momentum-weight-decay-maximize", set="embed", opts={"lr": 1e-3},
             groups=G((["embed.weight"], {"momentum": 0.9, "weightDecay": 0.01}),
                      (["head.weight"], {"centered": True, "eps": 1e-4}),
                      (["head.bias"], {"maximize": True, "alpha": 0.5}))),
        dict(name="param-without-gradient-steps-10-20", set="mlp", opts={"momentum": 0.9, "lr": 1e-3},
             frozen={"fc2.weight": (10, 20)}),
        dict(name="centered-param-without-gradient-steps-1-5", set="tiny", opts={"centered": True, "lr": 1e-3},
             frozen={"v": (1, 5)}),
        dict(name="scheduled-lr-alpha-momentum-per-group", set="conv", opts={"momentum": 0.5},
             groups=G((["conv.weight"], {}), (["conv.bias", "scale"], {"centered": True})),
             scheduled={0: {"lr": ("cosine", 1e-2, 1e-4), "alpha": ("triangle", 0.9, 0.99, 30)},
                        1: {"momentum": ("step", 0.5, 0.9, 50), "weightDecay": ("linear", 0.0, 0.05),
                            "eps": ("linear", 1e-8, 1e-4)}}),
        dict(name="wide-conv-centered-momentum-lr-1e-4", set="wide", opts={"centered": True, "momentum": 0.9, "lr": 1e-4}),
    ],
    # initialAccumulatorValue is never scheduled: torch reads it once, when the optimizer is made.
    "adagrad": [
        dict(name="defaults", set="conv"),
        dict(name="lr-0.1", set="mlp", opts={"lr": 0.1}),
        dict(name="lr-decay-0.01", set="embed", opts={"lrDecay": 0.01}),
        dict(name="lr-decay-1.0-lr-0.5", set="tiny", opts={"lrDecay": 1.0, "lr": 0.5}),
        dict(name="initial-accumulator-0.1", set="wide", opts={"initialAccumulatorValue": 0.1}),
        dict(name="initial-accumulator-1.0-lr-decay-0.1", set="conv", opts={"initialAccumulatorValue": 1.0, "lrDecay": 0.1}),
        dict(name="eps-1e-3", set="mlp", opts={"eps": 1e-3}),
        dict(name="eps-1e-6-initial-accumulator-0.5", set="embed", opts={"eps": 1e-6, "initialAccumulatorValue": 0.5}),
        dict(name="weight-decay-0.1", set="conv", opts={"weightDecay": 0.1}),
        dict(name="weight-decay-0.01-lr-decay-0.05-maximize", set="wide",
             opts={"weightDecay": 0.01, "lrDecay": 0.05, "maximize": True}),
        dict(name="maximize", set="tiny", opts={"maximize": True}),
        dict(name="grad-scale-100-init-scale-10", set="embed", grad_scale=100.0, init_scale=10.0),
        dict(name="grad-scale-0.001", set="conv", grad_scale=0.001, opts={"lr": 1e-3}),
        dict(name="two-groups-different-lr-lr-decay", set="mlp",
             groups=G((["fc1.weight", "fc1.bias"], {"lr": 0.05, "lrDecay": 0.1}),
                      (["fc2.weight", "fc2.bias", "temperature"], {}))),
        dict(name="groups-initial-accumulator-differs", set="conv",
             groups=G((["conv.weight"], {"initialAccumulatorValue": 0.2}), (["conv.bias", "scale"], {"eps": 1e-4}))),
        dict(name="three-groups-weight-decay-maximize-eps", set="embed",
             groups=G((["embed.weight"], {"weightDecay": 0.01}),
                      (["head.weight"], {"eps": 1e-2, "lr": 0.1}),
                      (["head.bias"], {"maximize": True, "lrDecay": 0.5}))),
        dict(name="param-without-gradient-steps-10-20", set="mlp", opts={"lrDecay": 0.1},
             frozen={"fc2.weight": (10, 20)}),
        dict(name="initial-accumulator-param-without-gradient-steps-1-5", set="tiny",
             opts={"initialAccumulatorValue": 0.3, "lrDecay": 0.2}, frozen={"v": (1, 5)}),
        dict(name="scheduled-lr-lr-decay-weight-decay-per-group", set="conv",
             groups=G((["conv.weight"], {}), (["conv.bias", "scale"], {"initialAccumulatorValue": 0.1})),
             scheduled={0: {"lr": ("cosine", 1e-1, 1e-3), "lrDecay": ("triangle", 0.0, 0.1, 30)},
                        1: {"weightDecay": ("step", 0.0, 0.05, 50), "eps": ("linear", 1e-10, 1e-4)}}),
        dict(name="wide-conv-lr-1.0-lr-decay-0.5", set="wide", opts={"lr": 1.0, "lrDecay": 0.5}),
    ],
    "radam": [
        dict(name="defaults", set="conv"),
        dict(name="lr-1e-2", set="mlp", opts={"lr": 1e-2}),
        dict(name="betas-0.95-0.99", set="embed", opts={"beta1": 0.95, "beta2": 0.99}),
        dict(name="beta2-0.9-rectifies-from-step-6", set="tiny", opts={"beta2": 0.9}),
        dict(name="beta2-0.6-never-rectifies", set="wide", opts={"beta2": 0.6}),
        dict(name="beta1-0.0", set="conv", opts={"beta1": 0.0}),
        dict(name="eps-1e-3", set="mlp", opts={"eps": 1e-3}),
        dict(name="weight-decay-0.1", set="embed", opts={"weightDecay": 0.1}),
        dict(name="weight-decay-0.01-maximize", set="wide", opts={"weightDecay": 0.01, "maximize": True}),
        dict(name="maximize", set="tiny", opts={"maximize": True}),
        dict(name="grad-scale-100-init-scale-10", set="conv", grad_scale=100.0, init_scale=10.0),
        dict(name="grad-scale-1e-6", set="mlp", grad_scale=1e-6, opts={"eps": 1e-10}),
        dict(name="two-groups-different-lr-betas", set="mlp",
             groups=G((["fc1.weight", "fc1.bias"], {"lr": 1e-2, "beta2": 0.99}),
                      (["fc2.weight", "fc2.bias", "temperature"], {}))),
        dict(name="groups-weight-decay-maximize-differ", set="conv",
             groups=G((["conv.weight"], {"weightDecay": 0.05}), (["conv.bias", "scale"], {"maximize": True}))),
        dict(name="three-groups-eps-beta1-lr", set="embed",
             groups=G((["embed.weight"], {"eps": 1e-4}),
                      (["head.weight"], {"beta1": 0.5}),
                      (["head.bias"], {"lr": 1e-2}))),
        dict(name="param-without-gradient-steps-3-10", set="mlp", frozen={"fc2.weight": (3, 10)}),
        dict(name="param-without-gradient-steps-1-5", set="tiny", opts={"weightDecay": 0.1}, frozen={"v": (1, 5)}),
        dict(name="scheduled-lr-betas-per-group", set="conv",
             groups=G((["conv.weight"], {}), (["conv.bias", "scale"], {"weightDecay": 0.01})),
             scheduled={0: {"lr": ("cosine", 1e-3, 1e-5), "beta1": ("triangle", 0.8, 0.95, 30)},
                        1: {"beta2": ("step", 0.999, 0.9, 50), "eps": ("linear", 1e-8, 1e-4)}}),
        dict(name="wide-conv-lr-1e-2", set="wide", opts={"lr": 1e-2}),
        dict(name="embed-betas-0.5-0.95", set="embed", opts={"beta1": 0.5, "beta2": 0.95}),
    ],
    "nadam": [
        dict(name="defaults", set="conv"),
        dict(name="lr-1e-2", set="mlp", opts={"lr": 1e-2}),
        dict(name="betas-0.95-0.99", set="embed", opts={"beta1": 0.95, "beta2": 0.99}),
        dict(name="momentum-decay-0.05", set="tiny", opts={"momentumDecay": 0.05}),
        dict(name="momentum-decay-0", set="wide", opts={"momentumDecay": 0.0}),
        dict(name="beta1-0.3-lerps-from-the-end", set="conv", opts={"beta1": 0.3}),
        dict(name="beta1-0.0", set="mlp", opts={"beta1": 0.0}),
        dict(name="eps-1e-3", set="embed", opts={"eps": 1e-3}),
        dict(name="weight-decay-0.1", set="tiny", opts={"weightDecay": 0.1}),
        dict(name="weight-decay-0.01-maximize", set="wide", opts={"weightDecay": 0.01, "maximize": True}),
        dict(name="maximize", set="conv", opts={"maximize": True}),
        dict(name="grad-scale-100-init-scale-10", set="mlp", grad_scale=100.0, init_scale=10.0),
        dict(name="grad-scale-1e-6", set="embed", grad_scale=1e-6, opts={"eps": 1e-10}),
        dict(name="two-groups-different-lr-momentum-decay", set="mlp",
             groups=G((["fc1.weight", "fc1.bias"], {"lr": 1e-2, "momentumDecay": 0.02}),
                      (["fc2.weight", "fc2.bias", "temperature"], {}))),
        dict(name="groups-weight-decay-maximize-differ", set="conv",
             groups=G((["conv.weight"], {"weightDecay": 0.05}), (["conv.bias", "scale"], {"maximize": True}))),
        dict(name="three-groups-eps-beta1-lr", set="embed",
             groups=G((["embed.weight"], {"eps": 1e-4}),
                      (["head.weight"], {"beta1": 0.5}),
                      (["head.bias"], {"lr": 1e-2}))),
        dict(name="param-without-gradient-steps-3-10", set="mlp", frozen={"fc2.weight": (3, 10)}),
        dict(name="param-without-gradient-steps-1-5", set="tiny", opts={"weightDecay": 0.1}, frozen={"v": (1, 5)}),
        dict(name="scheduled-lr-beta1-momentum-decay-per-group", set="conv",
             groups=G((["conv.weight"], {}), (["conv.bias", "scale"], {"weightDecay": 0.01})),
             scheduled={0: {"lr": ("cosine", 1e-2, 1e-4), "beta1": ("triangle", 0.8, 0.95, 30)},
                        1: {"momentumDecay": ("step", 0.004, 0.04, 50), "beta2": ("linear", 0.999, 0.9)}}),
        dict(name="wide-conv-lr-1e-2", set="wide", opts={"lr": 1e-2}),
    ],
    "nadamw": [
        dict(name="defaults", set="conv"),
        dict(name="weight-decay-0.01", set="mlp", opts={"weightDecay": 0.01}),
        dict(name="weight-decay-0.1-lr-1e-2", set="embed", opts={"weightDecay": 0.1, "lr": 1e-2}),
        dict(name="weight-decay-1.0", set="tiny", opts={"weightDecay": 1.0}),
        dict(name="weight-decay-0.05-momentum-decay-0.02", set="wide", opts={"weightDecay": 0.05, "momentumDecay": 0.02}),
        dict(name="weight-decay-0.01-maximize", set="embed", opts={"weightDecay": 0.01, "maximize": True}),
        dict(name="weight-decay-0.1-beta1-0.3", set="conv", opts={"weightDecay": 0.1, "beta1": 0.3}),
        dict(name="grad-scale-100-init-scale-10-weight-decay-0.1", set="conv", grad_scale=100.0, init_scale=10.0,
             opts={"weightDecay": 0.1}),
        dict(name="two-groups-weight-decay-differs", set="mlp",
             groups=G((["fc1.weight", "fc1.bias"], {"weightDecay": 0.1}),
                      (["fc2.weight", "fc2.bias", "temperature"], {"lr": 1e-2}))),
        dict(name="three-groups-betas-weight-decay-lr", set="embed",
             groups=G((["embed.weight"], {"weightDecay": 0.05, "beta1": 0.5}),
                      (["head.weight"], {"lr": 1e-2, "weightDecay": 0.2}),
                      (["head.bias"], {}))),
        dict(name="param-without-gradient-steps-1-5", set="tiny", opts={"weightDecay": 0.5}, frozen={"v": (1, 5)}),
        dict(name="param-without-gradient-steps-3-10-weight-decay-0.1", set="mlp", opts={"weightDecay": 0.1},
             frozen={"fc2.weight": (3, 10)}),
        dict(name="scheduled-lr-and-weight-decay-per-group", set="conv",
             groups=G((["conv.weight"], {"weightDecay": 0.01}), (["conv.bias", "scale"], {})),
             scheduled={0: {"lr": ("cosine", 1e-2, 1e-4), "weightDecay": ("triangle", 0.0, 0.1, 30)},
                        1: {"momentumDecay": ("step", 0.004, 0.04, 50), "weightDecay": ("linear", 0.1, 0.0)}}),
        dict(name="weight-decay-0.01-eps-1e-3", set="wide", opts={"weightDecay": 0.01, "eps": 1e-3}),
        dict(name="weight-decay-0.1-betas-0.95-0.99", set="mlp", opts={"weightDecay": 0.1, "beta1": 0.95, "beta2": 0.99}),
        dict(name="weight-decay-0.05-momentum-decay-0", set="tiny", opts={"weightDecay": 0.05, "momentumDecay": 0.0}),
        dict(name="grad-scale-1e-6-weight-decay-0.01", set="embed", grad_scale=1e-6, opts={"weightDecay": 0.01}),
        dict(name="maximize-weight-decay-0", set="wide", opts={"maximize": True}),
        dict(name="groups-maximize-and-weight-decay-differ", set="conv", opts={"weightDecay": 0.01},
             groups=G((["conv.weight"], {"maximize": True}), (["conv.bias", "scale"], {"weightDecay": 0.0}))),
        dict(name="lr-0.1-weight-decay-0.01", set="mlp", opts={"lr": 0.1, "weightDecay": 0.01}),
    ],
    "asgd": [
        dict(name="defaults", set="conv"),
        dict(name="lr-0.1", set="mlp", opts={"lr": 0.1}),
        dict(name="t0-10-averages-from-update-13", set="embed", opts={"t0": 10.0}),
        dict(name="t0-0-lambd-0.01", set="tiny", opts={"t0": 0.0, "lambd": 0.01}),
        dict(name="alpha-1-lambd-0.1-lr-0.05", set="wide", opts={"alpha": 1.0, "lambd": 0.1, "lr": 0.05}),
        dict(name="alpha-0-lambd-0", set="conv", opts={"alpha": 0.0, "lambd": 0.0}),
        dict(name="t0-50-5", set="mlp", opts={"t0": 50.5}),
        dict(name="weight-decay-0.1", set="embed", opts={"weightDecay": 0.1}),
        dict(name="weight-decay-0.01-maximize-t0-20", set="tiny", opts={"weightDecay": 0.01, "maximize": True, "t0": 20.0}),
        dict(name="maximize", set="wide", opts={"maximize": True}),
        dict(name="grad-scale-100-init-scale-10", set="conv", grad_scale=100.0, init_scale=10.0, opts={"lr": 1e-4}),
        dict(name="grad-scale-1e-6", set="mlp", grad_scale=1e-6),
        dict(name="two-groups-lr-t0-differ", set="mlp",
             groups=G((["fc1.weight", "fc1.bias"], {"lr": 0.05, "t0": 5.0}),
                      (["fc2.weight", "fc2.bias", "temperature"], {}))),
        dict(name="three-groups-lambd-alpha-weight-decay", set="embed", opts={"t0": 30.0},
             groups=G((["embed.weight"], {"lambd": 0.05}),
                      (["head.weight"], {"alpha": 0.5}),
                      (["head.bias"], {"weightDecay": 0.1}))),
        dict(name="param-without-gradient-steps-3-10-t0-5", set="mlp", opts={"t0": 5.0}, frozen={"fc2.weight": (3, 10)}),
        dict(name="param-without-gradient-steps-1-5", set="tiny", opts={"weightDecay": 0.1, "t0": 2.0},
             frozen={"v": (1, 5)}),
        dict(name="scheduled-lr-lambd-t0-per-group", set="conv",
             groups=G((["conv.weight"], {}), (["conv.bias", "scale"], {"weightDecay": 0.01})),
             scheduled={0: {"lr": ("cosine", 1e-1, 1e-3), "lambd": ("triangle", 0.0, 0.1, 30)},
                        1: {"t0": ("step", 1e6, 40.0, 50), "alpha": ("linear", 0.75, 0.25)}}),
        dict(name="wide-conv-lr-0.05-t0-25", set="wide", opts={"lr": 0.05, "t0": 25.0}),
        dict(name="embed-lr-1-lambd-1e-3", set="embed", opts={"lr": 1.0, "lambd": 1e-3, "t0": 60.0}),
        dict(name="t0-99-averages-the-last-step", set="tiny", opts={"t0": 99.0, "lr": 0.05}),
    ],
    "adabelief": [
        dict(name="defaults", set="conv"),
        dict(name="lr-1e-2", set="mlp", opts={"lr": 1e-2}),
        dict(name="betas-0.95-0.99", set="embed", opts={"beta1": 0.95, "beta2": 0.99}),
        dict(name="eps-1e-8-eps-root-0", set="tiny", opts={"eps": 1e-8, "epsRoot": 0.0}),
        dict(name="eps-root-1e-6", set="wide", opts={"epsRoot": 1e-6}),
        dict(name="beta1-0.0", set="conv", opts={"beta1": 0.0}),
        dict(name="eps-1e-3", set="mlp", opts={"eps": 1e-3}),
        dict(name="weight-decay-0.1", set="embed", opts={"weightDecay": 0.1}),
        dict(name="weight-decay-0.01-maximize", set="wide", opts={"weightDecay": 0.01, "maximize": True}),
        dict(name="maximize", set="tiny", opts={"maximize": True}),
        dict(name="grad-scale-100-init-scale-10", set="conv", grad_scale=100.0, init_scale=10.0),
        dict(name="grad-scale-1e-6", set="mlp", grad_scale=1e-6, opts={"eps": 1e-10}),
        dict(name="two-groups-different-lr-betas", set="mlp",
             groups=G((["fc1.weight", "fc1.bias"], {"lr": 1e-2, "beta2": 0.99}),
                      (["fc2.weight", "fc2.bias", "temperature"], {}))),
        dict(name="groups-weight-decay-maximize-differ", set="conv",
             groups=G((["conv.weight"], {"weightDecay": 0.05}), (["conv.bias", "scale"], {"maximize": True}))),
        dict(name="three-groups-eps-beta1-lr", set="embed",
             groups=G((["embed.weight"], {"eps": 1e-4}),
                      (["head.weight"], {"beta1": 0.5}),
                      (["head.bias"], {"lr": 1e-2}))),
        dict(name="param-without-gradient-steps-3-10", set="mlp", frozen={"fc2.weight": (3, 10)}),
        dict(name="param-without-gradient-steps-1-5", set="tiny", opts={"weightDecay": 0.1}, frozen={"v": (1, 5)}),
        dict(name="scheduled-lr-betas-eps-root-per-group", set="conv",
             groups=G((["conv.weight"], {}), (["conv.bias", "scale"], {"weightDecay": 0.01})),
             scheduled={0: {"lr": ("cosine", 1e-2, 1e-4), "beta1": ("triangle", 0.8, 0.95, 30)},
                        1: {"beta2": ("step", 0.999, 0.9, 50), "epsRoot": ("linear", 1e-16, 1e-6)}}),
        dict(name="wide-conv-lr-1e-2", set="wide", opts={"lr": 1e-2}),
        dict(name="embed-betas-0.5-0.95", set="embed", opts={"beta1": 0.5, "beta2": 0.95}),
    ],
    "yogi": [
        dict(name="defaults", set="conv"),
        dict(name="lr-0.1", set="mlp", opts={"lr": 0.1}),
        dict(name="betas-0.95-0.99", set="embed", opts={"beta1": 0.95, "beta2": 0.99}),
        dict(name="eps-1e-8", set="tiny", opts={"eps": 1e-8}),
        dict(name="eps-root-1e-4", set="wide", opts={"epsRoot": 1e-4}),
        dict(name="initial-accumulator-0", set="conv", opts={"initialAccumulatorValue": 0.0, "eps": 1e-6}),
        dict(name="initial-accumulator-0.5", set="mlp", opts={"initialAccumulatorValue": 0.5}),
        dict(name="beta1-0.0", set="embed", opts={"beta1": 0.0}),
        dict(name="beta2-0.9", set="tiny", opts={"beta2": 0.9}),
        dict(name="maximize", set="wide", opts={"maximize": True}),
        dict(name="grad-scale-100-init-scale-10", set="conv", grad_scale=100.0, init_scale=10.0),
        dict(name="grad-scale-1e-6", set="mlp", grad_scale=1e-6, opts={"eps": 1e-10}),
        dict(name="two-groups-different-lr-betas", set="mlp",
             groups=G((["fc1.weight", "fc1.bias"], {"lr": 0.05, "beta2": 0.99}),
                      (["fc2.weight", "fc2.bias", "temperature"], {}))),
        dict(name="groups-initial-accumulator-maximize-differ", set="conv",
             groups=G((["conv.weight"], {"initialAccumulatorValue": 0.1}), (["conv.bias", "scale"], {"maximize": True}))),
        dict(name="three-groups-eps-beta1-lr", set="embed",
             groups=G((["embed.weight"], {"eps": 1e-4}),
                      (["head.weight"], {"beta1": 0.5}),
                      (["head.bias"], {"lr": 0.05}))),
        dict(name="param-without-gradient-steps-3-10", set="mlp", frozen={"fc2.weight": (3, 10)}),
        dict(name="param-without-gradient-steps-1-5", set="tiny", frozen={"v": (1, 5)}),
        dict(name="scheduled-lr-betas-eps-per-group", set="conv",
             groups=G((["conv.weight"], {}), (["conv.bias", "scale"], {"epsRoot": 1e-6})),
             scheduled={0: {"lr": ("cosine", 1e-1, 1e-3), "beta1": ("triangle", 0.8, 0.95, 30)},
                        1: {"beta2": ("step", 0.999, 0.9, 50), "eps": ("linear", 1e-3, 1e-6)}}),
        dict(name="wide-conv-lr-0.05", set="wide", opts={"lr": 0.05}),
        dict(name="embed-betas-0.5-0.95", set="embed", opts={"beta1": 0.5, "beta2": 0.95}),
    ],
    "novograd": [
        dict(name="defaults", set="conv"),
        dict(name="lr-0.1", set="mlp", opts={"lr": 0.1}),
        dict(name="betas-0.95-0.98", set="embed", opts={"beta1": 0.95, "beta2": 0.98}),
        dict(name="eps-1e-8", set="tiny", opts={"eps": 1e-8}),
        dict(name="eps-root-1e-4", set="wide", opts={"epsRoot": 1e-4}),
        dict(name="weight-decay-0.1", set="conv", opts={"weightDecay": 0.1}),
        dict(name="weight-decay-1e-3-lr-0.05", set="mlp", opts={"weightDecay": 1e-3, "lr": 0.05}),
        dict(name="beta1-0.0", set="embed", opts={"beta1": 0.0}),
        dict(name="beta2-0.0", set="tiny", opts={"beta2": 0.0}),
        dict(name="maximize", set="wide", opts={"maximize": True}),
        dict(name="grad-scale-100-init-scale-10", set="conv", grad_scale=100.0, init_scale=10.0),
        dict(name="grad-scale-1e-6", set="mlp", grad_scale=1e-6, opts={"eps": 1e-10}),
        dict(name="two-groups-different-lr-betas", set="mlp",
             groups=G((["fc1.weight", "fc1.bias"], {"lr": 0.05, "beta2": 0.5}),
                      (["fc2.weight", "fc2.bias", "temperature"], {}))),
        dict(name="groups-weight-decay-maximize-differ", set="conv",
             groups=G((["conv.weight"], {"weightDecay": 0.01}), (["conv.bias", "scale"], {"maximize": True}))),
        dict(name="three-groups-eps-beta1-lr", set="embed",
             groups=G((["embed.weight"], {"eps": 1e-4}),
                      (["head.weight"], {"beta1": 0.5}),
                      (["head.bias"], {"lr": 0.05}))),
        dict(name="param-without-gradient-steps-3-10", set="mlp", frozen={"fc2.weight": (3, 10)}),
        dict(name="param-without-gradient-steps-1-5", set="tiny", frozen={"v": (1, 5)}),
        dict(name="scheduled-lr-betas-decay-per-group", set="conv",
             groups=G((["conv.weight"], {}), (["conv.bias", "scale"], {"epsRoot": 1e-6})),
             scheduled={0: {"lr": ("cosine", 1e-1, 1e-3), "beta1": ("triangle", 0.8, 0.95, 30)},
                        1: {"beta2": ("step", 0.25, 0.9, 50), "weightDecay": ("linear", 0.0, 0.01)}}),
        dict(name="wide-conv-lr-0.05", set="wide", opts={"lr": 0.05}),
        dict(name="embed-betas-0.5-0.5", set="embed", opts={"beta1": 0.5, "beta2": 0.5}),
    ],
    "adafactor": [
        dict(name="defaults", set="conv"),
        dict(name="lr-0.1", set="mlp", opts={"lr": 0.1}),
        dict(name="beta2-decay-0.5", set="embed", opts={"beta2Decay": -0.5}),
        dict(name="beta2-decay-0-keeps-the-last", set="tiny", opts={"beta2Decay": 0.0}),
        dict(name="eps1-1e-3-floors-the-moment", set="wide", opts={"eps1": 1e-3}),
        dict(name="eps2-0.1-floors-the-scale", set="conv", opts={"eps2": 0.1}),
        dict(name="d-0.1-scales-down", set="mlp", opts={"d": 0.1}),
        dict(name="weight-decay-0.1", set="embed", opts={"weightDecay": 0.1}),
        dict(name="maximize", set="tiny", opts={"maximize": True}),
        dict(name="matrices", set="matrices"),
        dict(name="grad-scale-100-init-scale-10", set="conv", grad_scale=100.0, init_scale=10.0),
        dict(name="grad-scale-1e-6", set="mlp", grad_scale=1e-6),
        dict(name="init-scale-1e-4-eps2-floor", set="wide", init_scale=1e-4),
        dict(name="two-groups-different-lr-d", set="mlp",
             groups=G((["fc1.weight", "fc1.bias"], {"lr": 0.05, "d": 0.5}),
                      (["fc2.weight", "fc2.bias", "temperature"], {}))),
        dict(name="groups-decay-maximize-differ", set="conv",
             groups=G((["conv.weight"], {"weightDecay": 0.01}), (["conv.bias", "scale"], {"maximize": True}))),
        dict(name="three-groups-eps-decay-lr", set="embed",
             groups=G((["embed.weight"], {"eps1": 1e-6}),
                      (["head.weight"], {"beta2Decay": -0.6}),
                      (["head.bias"], {"lr": 0.05}))),
        dict(name="param-without-gradient-steps-3-10", set="mlp", frozen={"fc2.weight": (3, 10)}),
        dict(name="param-without-gradient-steps-1-5", set="tiny", frozen={"v": (1, 5)}),
        dict(name="scheduled-lr-decay-per-group", set="conv",
             groups=G((["conv.weight"], {}), (["conv.bias", "scale"], {"d": 2.0})),
             scheduled={0: {"lr": ("cosine", 1e-1, 1e-3), "beta2Decay": ("linear", -0.8, -0.5)},
                        1: {"eps2": ("step", 1e-3, 1e-2, 50), "weightDecay": ("linear", 0.0, 0.01)}}),
        dict(name="embed-lr-0.03", set="embed", opts={"lr": 0.03}),
    ],
    "muon": [
        dict(name="defaults", set="matrices"),
        dict(name="lr-0.02", set="matrices", opts={"lr": 0.02}),
        dict(name="no-nesterov", set="matrices", opts={"nesterov": False}),
        dict(name="momentum-0.9", set="matrices", opts={"momentum": 0.9}),
        dict(name="momentum-0.0", set="matrices", opts={"momentum": 0.0, "lr": 0.01}),
        dict(name="no-weight-decay", set="matrices", opts={"weightDecay": 0.0}),
        dict(name="weight-decay-1-lr-0.01", set="matrices", opts={"weightDecay": 1.0, "lr": 0.01}),
        dict(name="match-rms-adamw", set="matrices", opts={"matchRmsAdamW": True}),
        dict(name="ns-steps-1", set="matrices", opts={"nsSteps": 1.0}),
        dict(name="ns-steps-10", set="matrices", opts={"nsSteps": 10.0}),
        dict(name="ns-steps-0-normalised-momentum", set="matrices", opts={"nsSteps": 0.0, "lr": 0.01}),
        dict(name="cubic-coefficients-1.5-0.5-0", set="matrices", opts={"nsA": 1.5, "nsB": -0.5, "nsC": 0.0}),
        dict(name="eps-10-larger-than-the-norm", set="matrices", grad_scale=1e-3, opts={"eps": 10.0}),
        dict(name="grad-scale-100-init-scale-10", set="matrices", grad_scale=100.0, init_scale=10.0),
        dict(name="two-groups-different-lr-momentum", set="matrices",
             groups=G((["fc1.weight", "fc2.weight"], {"lr": 0.01, "momentum": 0.9}), (["square", "row"], {}))),
        dict(name="three-groups-nesterov-scale-decay", set="matrices",
             groups=G((["fc1.weight"], {"nesterov": False}), (["fc2.weight", "square"], {"matchRmsAdamW": True}),
                      (["row"], {"weightDecay": 0.0}))),
        dict(name="param-without-gradient-steps-3-10", set="matrices", frozen={"fc2.weight": (3, 10)}),
        dict(name="param-without-gradient-steps-1-5", set="matrices", frozen={"row": (1, 5)}),
        dict(name="scheduled-lr-momentum-decay-per-group", set="matrices",
             groups=G((["fc1.weight", "square"], {}), (["fc2.weight", "row"], {"nesterov": False})),
             scheduled={0: {"lr": ("cosine", 2e-2, 1e-4), "momentum": ("triangle", 0.8, 0.95, 30)},
                        1: {"weightDecay": ("linear", 0.0, 0.5), "eps": ("step", 1e-7, 1e-3, 50)}}),
        dict(name="lr-0.05-momentum-0.99", set="matrices", opts={"lr": 0.05, "momentum": 0.99}),
    ],
    "lars": [
        dict(name="defaults", set="conv"),
        dict(name="coefficient-0.02", set="mlp", opts={"coefficient": 0.02}),
        dict(name="coefficient-0.02-lr-1-momentum-0.5", set="embed", opts={"coefficient": 0.02, "lr": 1.0, "momentum": 0.5}),
        dict(name="eps-1e-2", set="tiny", opts={"eps": 1e-2, "coefficient": 0.05}),
        dict(name="weight-decay-1e-3", set="wide", opts={"weightDecay": 1e-3, "coefficient": 0.02}),
        dict(name="weight-decay-0.1-coefficient-0.01", set="conv", opts={"weightDecay": 0.1, "coefficient": 0.01}),
        dict(name="use-clip-lr-0.5", set="mlp", opts={"useClip": True, "lr": 0.5, "coefficient": 0.01}),
        dict(name="use-clip-lr-1e-3-ratio-clipped", set="embed", opts={"useClip": True, "lr": 1e-3, "coefficient": 0.1}),
        dict(name="nesterov", set="tiny", opts={"nesterov": True, "coefficient": 0.02}),
        dict(name="momentum-0.0", set="wide", opts={"momentum": 0.0, "coefficient": 0.05}),
        dict(name="loss-scale-1024", set="conv", grad_scale=1024.0, opts={"lossScale": 1024.0, "coefficient": 0.02}),
        dict(name="grad-scale-1e-6", set="mlp", grad_scale=1e-6, opts={"coefficient": 0.02}),
        dict(name="trust-ratio-off-on-biases", set="mlp",
             groups=G((["fc1.weight", "fc2.weight"], {"weightDecay": 0.01}),
                      (["fc1.bias", "fc2.bias", "temperature"], {"trustRatio": False})),
             opts={"coefficient": 0.02}),
        dict(name="groups-coefficient-momentum-differ", set="conv",
             groups=G((["conv.weight"], {"coefficient": 0.05}), (["conv.bias", "scale"], {"momentum": 0.5}))),
        dict(name="three-groups-eps-clip-lr", set="embed",
             groups=G((["embed.weight"], {"eps": 1e-3}),
                      (["head.weight"], {"useClip": True}),
                      (["head.bias"], {"lr": 0.5})), opts={"coefficient": 0.02}),
        dict(name="param-without-gradient-steps-3-10", set="mlp", frozen={"fc2.weight": (3, 10)},
             opts={"coefficient": 0.02}),
        dict(name="param-without-gradient-steps-1-5", set="tiny", frozen={"v": (1, 5)}, opts={"coefficient": 0.02}),
        dict(name="scheduled-lr-coefficient-decay-per-group", set="conv",
             groups=G((["conv.weight"], {}), (["conv.bias", "scale"], {"nesterov": True})),
             scheduled={0: {"lr": ("cosine", 1.0, 0.01), "coefficient": ("triangle", 0.005, 0.05, 30)},
                        1: {"momentum": ("step", 0.9, 0.5, 50), "weightDecay": ("linear", 0.0, 0.01)}}),
        dict(name="init-scale-10-weight-decay-0.01", set="wide", init_scale=10.0, opts={"weightDecay": 0.01, "coefficient": 0.02}),
        dict(name="zero-start-ratio-1", set="tiny", init_scale=0.0, opts={"coefficient": 0.02, "lr": 0.01}),
    ],
    "lamb": [
        dict(name="defaults", set="conv"),
        dict(name="lr-0.01", set="mlp", opts={"lr": 0.01}),
        dict(name="betas-0.95-0.99", set="embed", opts={"beta1": 0.95, "beta2": 0.99}),
        dict(name="eps-1e-8", set="tiny", opts={"eps": 1e-8}),
        dict(name="eps-1e-2-root-and-update-differ", set="wide", opts={"eps": 1e-2, "lr": 0.01}),
        dict(name="weight-decay-0.1", set="conv", opts={"weightDecay": 0.1, "lr": 0.01}),
        dict(name="weight-decay-0.01-lr-0.05", set="mlp", opts={"weightDecay": 0.01, "lr": 0.05}),
        dict(name="beta1-0.5", set="embed", opts={"beta1": 0.5}),
        dict(name="beta2-0.9", set="tiny", opts={"beta2": 0.9}),
        dict(name="lr-0.1-ratio-large", set="wide", opts={"lr": 0.1}),
        dict(name="grad-scale-100-init-scale-10", set="conv", grad_scale=100.0, init_scale=10.0),
        dict(name="grad-scale-1e-6", set="mlp", grad_scale=1e-6, opts={"eps": 1e-10}),
        dict(name="init-scale-100-ratio-clipped-at-10", set="tiny", init_scale=100.0),
        dict(name="two-groups-different-lr-betas", set="mlp",
             groups=G((["fc1.weight", "fc1.bias"], {"lr": 0.05, "beta2": 0.99}),
                      (["fc2.weight", "fc2.bias", "temperature"], {}))),
        dict(name="groups-decay-on-weights-only", set="conv",
             groups=G((["conv.weight"], {"weightDecay": 0.05}), (["conv.bias", "scale"], {}))),
        dict(name="three-groups-eps-beta1-lr", set="embed",
             groups=G((["embed.weight"], {"eps": 1e-4}),
                      (["head.weight"], {"beta1": 0.5}),
                      (["head.bias"], {"lr": 0.05}))),
        dict(name="param-without-gradient-steps-3-10", set="mlp", frozen={"fc2.weight": (3, 10)}),
        dict(name="param-without-gradient-steps-1-5", set="tiny", frozen={"v": (1, 5)}),
        dict(name="scheduled-lr-betas-decay-per-group", set="conv",
             groups=G((["conv.weight"], {}), (["conv.bias", "scale"], {"eps": 1e-4})),
             scheduled={0: {"lr": ("cosine", 1e-2, 1e-4), "beta1": ("triangle", 0.8, 0.95, 30)},
                        1: {"beta2": ("step", 0.999, 0.9, 50), "weightDecay": ("linear", 0.0, 0.01)}}),
        dict(name="embed-lr-0.02", set="embed", opts={"lr": 0.02}),
    ],
    "prodigy": [
        dict(name="defaults", set="conv", pull=1.0),
        dict(name="defaults-mlp", set="mlp"),
        dict(name="lr-0.5", set="embed", pull=1.0, opts={"lr": 0.5}),
        dict(name="d0-1e-3", set="tiny", pull=1.0, opts={"d0": 1e-3}),
        dict(name="d0-1e-2-coef-2", set="wide", pull=1.0, opts={"d0": 1e-2, "dCoef": 2.0}),
        dict(name="coef-0.5", set="conv", pull=1.0, opts={"dCoef": 0.5}),
        dict(name="beta3-0.9", set="mlp", pull=1.0, opts={"beta3": 0.9}),
        dict(name="betas-0.95-0.99", set="embed", opts={"beta1": 0.95, "beta2": 0.99}),
        dict(name="beta1-0-no-momentum", set="tiny", pull=1.0, opts={"beta1": 0.0}),
        dict(name="eps-1e-4", set="wide", pull=1.0, opts={"eps": 1e-4}),
        dict(name="weight-decay-0.1", set="conv", pull=1.0, opts={"weightDecay": 0.1}),
        dict(name="safeguard-warmup", set="mlp", pull=1.0, opts={"safeguardWarmup": True}),
        dict(name="safeguard-warmup-scheduled-lr", set="embed", pull=1.0, opts={"safeguardWarmup": True},
             scheduled={0: {"lr": ("linear", 0.01, 1.0)}}),
        dict(name="scheduled-lr-cosine", set="tiny", pull=1.0, scheduled={0: {"lr": ("cosine", 1.0, 0.0)}}),
        dict(name="grad-scale-100-init-scale-10", set="wide", pull=1.0, grad_scale=100.0, init_scale=10.0),
        dict(name="grad-scale-1e-4", set="conv", pull=1.0, grad_scale=1e-4),
        dict(name="init-scale-0", set="mlp", pull=1.0, init_scale=0.0, opts={"d0": 1e-4}),
        dict(name="two-groups-no-decay-on-biases", set="mlp", pull=1.0, opts={"weightDecay": 0.05},
             groups=G((["fc1.weight", "fc2.weight"], {}), (["fc1.bias", "fc2.bias", "temperature"], {"weightDecay": 0.0}))),
        dict(name="three-groups-eps-decay", set="embed", pull=1.0,
             groups=G((["embed.weight"], {"eps": 1e-4}),
                      (["head.weight"], {"weightDecay": 0.01}),
                      (["head.bias"], {}))),
        dict(name="two-groups-scheduled-lr-and-decay", set="conv", pull=1.0,
             groups=G((["conv.weight"], {}), (["conv.bias", "scale"], {"eps": 1e-6})),
             scheduled={0: {"lr": ("cosine", 1.0, 0.1), "weightDecay": ("linear", 0.0, 0.01)},
                        1: {"lr": ("cosine", 1.0, 0.1)}}),
        dict(name="param-without-gradient-steps-3-10", set="mlp", pull=1.0, frozen={"fc2.weight": (3, 10)}),
        dict(name="param-without-gradient-steps-1-5", set="tiny", pull=1.0, frozen={"v": (1, 5)}),
    ],
    "ademamix": [
        dict(name="lr-1e-3", set="conv"),
        dict(name="lr-1e-2", set="mlp", opts={"lr": 1e-2}),
        dict(name="alpha-warmup-50", set="embed", opts={"alphaWarmup": 50.0}),
        dict(name="beta3-warmup-50", set="tiny", opts={"beta3Warmup": 50.0}),
        dict(name="both-warmups-200-beyond-the-run", set="wide", opts={"alphaWarmup": 200.0, "beta3Warmup": 200.0}),
        dict(name="warmups-30-and-70-lr-1e-2", set="conv", opts={"lr": 1e-2, "alphaWarmup": 30.0, "beta3Warmup": 70.0}),
        dict(name="alpha-0-is-adamw", set="mlp", opts={"alpha": 0.0}),
        dict(name="alpha-8-beta3-0.999", set="embed", opts={"alpha": 8.0, "beta3": 0.999}),
        dict(name="weight-decay-0.1-lr-1e-2", set="tiny", opts={"lr": 1e-2, "weightDecay": 0.1}),
        dict(name="eps-root-1e-4", set="wide", opts={"epsRoot": 1e-4}),
        dict(name="grad-scale-100-init-scale-10", set="conv", grad_scale=100.0, init_scale=10.0),
        dict(name="grad-scale-1e-6", set="mlp", grad_scale=1e-6, opts={"eps": 1e-10}),
        dict(name="two-groups-different-lr-alpha", set="mlp",
             groups=G((["fc1.weight", "fc1.bias"], {"lr": 1e-2, "alpha": 2.0}),
                      (["fc2.weight", "fc2.bias", "temperature"], {}))),
        dict(name="groups-warmups-decay-differ", set="conv",
             groups=G((["conv.weight"], {"alphaWarmup": 40.0, "beta3Warmup": 40.0}), (["conv.bias", "scale"], {"weightDecay": 0.1}))),
        dict(name="three-groups-eps-beta1-lr", set="embed",
             groups=G((["embed.weight"], {"eps": 1e-4}),
                      (["head.weight"], {"beta1": 0.5, "beta3Warmup": 20.0}),
                      (["head.bias"], {"lr": 1e-2}))),
        dict(name="param-without-gradient-steps-3-10-warmups-20", set="mlp", opts={"alphaWarmup": 20.0, "beta3Warmup": 20.0},
             frozen={"fc2.weight": (3, 10)}),
        dict(name="param-without-gradient-steps-1-5", set="tiny", opts={"weightDecay": 0.1}, frozen={"v": (1, 5)}),
        dict(name="scheduled-lr-alpha-beta3-per-group", set="conv",
             groups=G((["conv.weight"], {}), (["conv.bias", "scale"], {"weightDecay": 0.01})),
             scheduled={0: {"lr": ("cosine", 1e-2, 1e-4), "alpha": ("linear", 0.0, 5.0)},
                        1: {"beta3": ("step", 0.99, 0.9999, 50), "beta1": ("triangle", 0.8, 0.95, 30)}}),
        dict(name="wide-lr-1e-2", set="wide", opts={"lr": 1e-2}),
        dict(name="embed-betas-0.5-0.95-0.99", set="embed", opts={"beta1": 0.5, "beta2": 0.95, "beta3": 0.99}),
    ],
    "adan": [
        dict(name="lr-1e-3", set="conv"),
        dict(name="lr-1e-2", set="mlp", opts={"lr": 1e-2}),
        dict(name="weight-decay-0.02", set="embed", opts={"lr": 1e-2, "weightDecay": 0.02}),
        dict(name="paper-betas-0.98-0.92-0.99-lr-0.1", set="tiny", opts={"lr": 0.1}),
        dict(name="betas-0.9-0.9-0.999", set="wide", opts={"beta1": 0.9, "beta2": 0.9, "beta3": 0.999}),
        dict(name="beta1-0.0", set="conv", opts={"beta1": 0.0}),
        dict(name="beta2-0.0-no-difference-memory", set="mlp", opts={"beta2": 0.0}),
        dict(name="beta3-0.5", set="embed", opts={"beta3": 0.5}),
        dict(name="eps-1e-3-eps-root-0", set="tiny", opts={"eps": 1e-3, "epsRoot": 0.0}),
        dict(name="eps-root-1e-4", set="wide", opts={"epsRoot": 1e-4}),
        dict(name="grad-scale-100-init-scale-10", set="conv", grad_scale=100.0, init_scale=10.0),
        dict(name="grad-scale-1e-6", set="mlp", grad_scale=1e-6, opts={"eps": 1e-10, "epsRoot": 0.0}),
        dict(name="two-groups-different-lr-betas", set="mlp",
             groups=G((["fc1.weight", "fc1.bias"], {"lr": 1e-2, "beta2": 0.99}),
                      (["fc2.weight", "fc2.bias", "temperature"], {}))),
        dict(name="groups-decay-beta3-differ", set="conv",
             groups=G((["conv.weight"], {"weightDecay": 0.1}), (["conv.bias", "scale"], {"beta3": 0.9}))),
        dict(name="three-groups-eps-beta1-lr", set="embed",
             groups=G((["embed.weight"], {"eps": 1e-4}),
                      (["head.weight"], {"beta1": 0.5}),
                      (["head.bias"], {"lr": 1e-2}))),
        dict(name="param-without-gradient-steps-3-10", set="mlp", frozen={"fc2.weight": (3, 10)}),
        dict(name="param-without-gradient-steps-1-5", set="tiny", opts={"weightDecay": 0.1}, frozen={"v": (1, 5)}),
        dict(name="scheduled-lr-betas-decay-per-group", set="conv",
             groups=G((["conv.weight"], {}), (["conv.bias", "scale"], {"weightDecay": 0.01})),
             scheduled={0: {"lr": ("cosine", 1e-2, 1e-4), "beta1": ("triangle", 0.8, 0.98, 30)},
                        1: {"beta2": ("step", 0.92, 0.8, 50), "beta3": ("linear", 0.99, 0.9)}}),
        dict(name="wide-lr-1e-2", set="wide", opts={"lr": 1e-2}),
        dict(name="embed-betas-0.5-0.5-0.95", set="embed", opts={"beta1": 0.5, "beta2": 0.5, "beta3": 0.95}),
    ],
    "ftrl": [
        dict(name="defaults", set="conv"),
        dict(name="lr-0.1", set="mlp", opts={"lr": 0.1}),
        dict(name="l1-0.01-lr-0.1", set="embed", opts={"lr": 0.1, "l1": 0.01}),
        dict(name="l2-0.1-lr-0.1", set="tiny", opts={"lr": 0.1, "l2": 0.1}),
        dict(name="l1-l2-lr-0.05", set="wide", opts={"lr": 0.05, "l1": 0.005, "l2": 0.01}),
        dict(name="l1-1-zeroes-most", set="tiny", opts={"lr": 0.5, "l1": 1.0}),
        dict(name="lr-power-0-fixed-rate", set="conv", opts={"lr": 0.01, "lrPower": 0.0}),
        dict(name="lr-power-1", set="mlp", opts={"lr": 0.1, "lrPower": -1.0}),
        dict(name="lr-power-0.25", set="embed", opts={"lr": 0.05, "lrPower": -0.25}),
        dict(name="initial-accumulator-1", set="tiny", opts={"lr": 0.1, "initialAccumulatorValue": 1.0}),
        dict(name="initial-accumulator-0", set="wide", opts={"initialAccumulatorValue": 0.0}),
        dict(name="weight-decay-0.01", set="conv", opts={"lr": 0.1, "weightDecay": 0.01}),
        dict(name="loss-scale-128", set="mlp", grad_scale=128.0, opts={"lossScale": 128.0}),
        dict(name="weight-decay-with-loss-scale-64", set="embed", grad_scale=64.0,
             opts={"lr": 0.1, "weightDecay": 0.01, "lossScale": 64.0}),
        dict(name="grad-scale-100", set="tiny", grad_scale=100.0),
        dict(name="grad-scale-1e-4", set="wide", grad_scale=1e-4, opts={"lr": 0.01}),
        dict(name="two-groups-different-lr-l1", set="mlp",
             groups=G((["fc1.weight", "fc1.bias"], {"lr": 0.1, "l1": 0.01}),
                      (["fc2.weight", "fc2.bias", "temperature"], {}))),
        dict(name="groups-lr-power-initial-accumulator-differ", set="conv",
             groups=G((["conv.weight"], {"lrPower": -1.0}), (["conv.bias", "scale"], {"initialAccumulatorValue": 0.5}))),
        dict(name="three-groups-l2-weight-decay-lr", set="embed",
             groups=G((["embed.weight"], {"l2": 0.5}),
                      (["head.weight"], {"weightDecay": 0.1}),
                      (["head.bias"], {"lr": 0.05}))),
        dict(name="param-without-gradient-steps-3-10", set="mlp", opts={"lr": 0.1}, frozen={"fc2.weight": (3, 10)}),
        dict(name="scheduled-lr-l1-l2-per-group", set="conv",
             groups=G((["conv.weight"], {}), (["conv.bias", "scale"], {"weightDecay": 0.01})),
             scheduled={0: {"lr": ("cosine", 1e-1, 1e-3), "l1": ("triangle", 0.0, 0.01, 30)},
                        1: {"l2": ("step", 0.0, 0.1, 50), "lr": ("linear", 1e-2, 1e-1)}}),
    ],
    "proximaladagrad": [
        dict(name="defaults", set="conv"),
        dict(name="lr-0.1", set="mlp", opts={"lr": 0.1}),
        dict(name="l1-0.01-lr-0.1", set="embed", opts={"lr": 0.1, "l1": 0.01}),
        dict(name="l2-0.1-lr-0.1", set="tiny", opts={"lr": 0.1, "l2": 0.1}),
        dict(name="l1-l2-lr-0.05", set="wide", opts={"lr": 0.05, "l1": 0.05, "l2": 0.01}),
        dict(name="l1-2-lr-0.5-zeroes-most", set="tiny", opts={"lr": 0.5, "l1": 2.0}),
        dict(name="lr-1", set="conv", opts={"lr": 1.0}),
        dict(name="initial-accumulator-1", set="mlp", opts={"lr": 0.1, "initialAccumulatorValue": 1.0}),
        dict(name="initial-accumulator-1e-3", set="embed", opts={"initialAccumulatorValue": 1e-3}),
        dict(name="weight-decay-0.01", set="conv", opts={"lr": 0.1, "weightDecay": 0.01}),
        dict(name="loss-scale-128", set="mlp", grad_scale=128.0, opts={"lossScale": 128.0}),
        dict(name="weight-decay-with-loss-scale-64", set="embed", grad_scale=64.0,
             opts={"lr": 0.1, "weightDecay": 0.01, "lossScale": 64.0}),
        dict(name="grad-scale-100", set="tiny", grad_scale=100.0, opts={"lr": 0.1}),
        dict(name="grad-scale-1e-4", set="wide", grad_scale=1e-4, opts={"lr": 0.01}),
        dict(name="two-groups-different-lr-l1", set="mlp",
             groups=G((["fc1.weight", "fc1.bias"], {"lr": 0.1, "l1": 0.01}),
                      (["fc2.weight", "fc2.bias", "temperature"], {}))),
        dict(name="groups-initial-accumulator-l2-differ", set="conv",
             groups=G((["conv.weight"], {"initialAccumulatorValue": 0.5}), (["conv.bias", "scale"], {"l2": 0.5}))),
        dict(name="three-groups-l1-weight-decay-lr", set="embed",
             groups=G((["embed.weight"], {"l1": 0.001}),
                      (["head.weight"], {"weightDecay": 0.1}),
                      (["head.bias"], {"lr": 0.05}))),
        dict(name="param-without-gradient-steps-3-10", set="mlp", opts={"lr": 0.1}, frozen={"fc2.weight": (3, 10)}),
        dict(name="scheduled-lr-l1-l2-per-group", set="conv",
             groups=G((["conv.weight"], {}), (["conv.bias", "scale"], {"weightDecay": 0.01})),
             scheduled={0: {"lr": ("cosine", 1e-1, 1e-3), "l1": ("triangle", 0.0, 0.01, 30)},
                        1: {"l2": ("step", 0.0, 0.1, 50), "lr": ("linear", 1e-2, 1e-1)}}),
        dict(name="wide-lr-0.05", set="wide", opts={"lr": 0.05}),
    ],
    "adamweightdecay": [
        dict(name="defaults", set="conv"),
        dict(name="lr-0.01", set="mlp", opts={"lr": 0.01}),
        dict(name="weight-decay-0.01", set="embed", opts={"weightDecay": 0.01}),
        dict(name="weight-decay-0.1-lr-0.01", set="tiny", opts={"lr": 0.01, "weightDecay": 0.1}),
        dict(name="betas-0.95-0.99", set="wide", opts={"beta1": 0.95, "beta2": 0.99}),
        dict(name="beta1-0.0", set="conv", opts={"beta1": 0.0}),
        dict(name="beta2-0.9", set="mlp", opts={"beta2": 0.9}),
        dict(name="eps-1e-8", set="embed", opts={"eps": 1e-8}),
        dict(name="eps-0.1", set="tiny", opts={"eps": 0.1, "lr": 0.05}),
        dict(name="grad-scale-100-init-scale-10", set="wide", grad_scale=100.0, init_scale=10.0),
        dict(name="grad-scale-1e-6", set="conv", grad_scale=1e-6, opts={"eps": 1e-10}),
        dict(name="lr-0.1-weight-decay-0.01", set="mlp", opts={"lr": 0.1, "weightDecay": 0.01}),
        dict(name="two-groups-decay-on-weights-only", set="mlp",
             groups=G((["fc1.weight", "fc2.weight"], {"weightDecay": 0.01}),
                      (["fc1.bias", "fc2.bias", "temperature"], {}))),
        dict(name="groups-betas-eps-differ", set="conv",
             groups=G((["conv.weight"], {"beta1": 0.5}), (["conv.bias", "scale"], {"eps": 1e-3, "beta2": 0.99}))),
        dict(name="three-groups-lr-decay-eps", set="embed",
             groups=G((["embed.weight"], {"eps": 1e-4}),
                      (["head.weight"], {"weightDecay": 0.1}),
                      (["head.bias"], {"lr": 1e-2}))),
        dict(name="param-without-gradient-steps-3-10", set="mlp", frozen={"fc2.weight": (3, 10)}),
        dict(name="param-without-gradient-steps-1-5", set="tiny", opts={"weightDecay": 0.1}, frozen={"v": (1, 5)}),
        dict(name="scheduled-lr-decay-betas-per-group", set="conv",
             groups=G((["conv.weight"], {}), (["conv.bias", "scale"], {"weightDecay": 0.01})),
             scheduled={0: {"lr": ("cosine", 1e-2, 1e-4), "beta1": ("triangle", 0.8, 0.95, 30)},
                        1: {"beta2": ("step", 0.999, 0.9, 50), "weightDecay": ("linear", 0.0, 0.1)}}),
        dict(name="wide-lr-1e-2", set="wide", opts={"lr": 1e-2}),
        dict(name="embed-betas-0.5-0.95", set="embed", opts={"beta1": 0.5, "beta2": 0.95}),
    ],
    "mindsporeadam": [
        dict(name="defaults", set="conv"),
        dict(name="nesterov", set="mlp", opts={"nesterov": True}),
        dict(name="lr-0.01", set="embed", opts={"lr": 0.01}),
        dict(name="nesterov-lr-0.01", set="tiny", opts={"lr": 0.01, "nesterov": True}),
        dict(name="weight-decay-0.01", set="wide", opts={"weightDecay": 0.01}),
        dict(name="loss-scale-128", set="conv", grad_scale=128.0, opts={"lossScale": 128.0}),
        dict(name="weight-decay-with-loss-scale-64", set="mlp", grad_scale=64.0,
             opts={"weightDecay": 0.01, "lossScale": 64.0}),
        dict(name="betas-0.95-0.99", set="embed", opts={"beta1": 0.95, "beta2": 0.99}),
        dict(name="beta1-0.0-nesterov", set="tiny", opts={"beta1": 0.0, "nesterov": True}),
        dict(name="eps-1e-3", set="wide", opts={"eps": 1e-3}),
        dict(name="grad-scale-100-init-scale-10", set="conv", grad_scale=100.0, init_scale=10.0),
        dict(name="grad-scale-1e-6", set="mlp", grad_scale=1e-6, opts={"eps": 1e-10}),
        dict(name="two-groups-different-lr-betas", set="mlp",
             groups=G((["fc1.weight", "fc1.bias"], {"lr": 0.01, "beta2": 0.99}),
                      (["fc2.weight", "fc2.bias", "temperature"], {}))),
        dict(name="groups-nesterov-decay-differ", set="conv",
             groups=G((["conv.weight"], {"nesterov": True}), (["conv.bias", "scale"], {"weightDecay": 0.1}))),
        dict(name="three-groups-eps-beta1-lr", set="embed",
             groups=G((["embed.weight"], {"eps": 1e-4}),
                      (["head.weight"], {"beta1": 0.5}),
                      (["head.bias"], {"lr": 1e-2}))),
        dict(name="param-without-gradient-steps-3-10", set="mlp", frozen={"fc2.weight": (3, 10)}),
        dict(name="param-without-gradient-steps-1-5", set="tiny", opts={"nesterov": True}, frozen={"v": (1, 5)}),
        dict(name="scheduled-lr-betas-decay-per-group", set="conv",
             groups=G((["conv.weight"], {}), (["conv.bias", "scale"], {"weightDecay": 0.01})),
             scheduled={0: {"lr": ("cosine", 1e-2, 1e-4), "beta1": ("triangle", 0.8, 0.95, 30)},
                        1: {"beta2": ("step", 0.999, 0.9, 50), "weightDecay": ("linear", 0.0, 0.1)}}),
        dict(name="wide-lr-1e-2-nesterov", set="wide", opts={"lr": 1e-2, "nesterov": True}),
        dict(name="embed-betas-0.5-0.95", set="embed", opts={"beta1": 0.5, "beta2": 0.95}),
    ],
    "sparseadam": [
        dict(name="defaults", set="embed", sparse=[3, 1]),
        dict(name="every-row-touched", set="conv"),
        dict(name="lr-1e-2", set="embed", sparse=[2, 1], opts={"lr": 1e-2}),
        dict(name="betas-0.95-0.99", set="tiny", sparse=[3, 2], opts={"beta1": 0.95, "beta2": 0.99}),
        dict(name="beta1-0.0", set="mlp", sparse=[4, 1], opts={"beta1": 0.0}),
        dict(name="eps-1e-3", set="wide", sparse=[5, 2], opts={"eps": 1e-3}),
        dict(name="maximize", set="embed", sparse=[3, 1], opts={"maximize": True}),
        dict(name="grad-scale-100-init-scale-10", set="conv", sparse=[2, 1], grad_scale=100.0, init_scale=10.0),
        dict(name="grad-scale-1e-6", set="mlp", sparse=[3, 1], grad_scale=1e-6, opts={"eps": 1e-10}),
        dict(name="two-groups-different-lr-betas", set="mlp", sparse=[3, 1],
             groups=G((["fc1.weight", "fc1.bias"], {"lr": 0.01, "beta2": 0.99}),
                      (["fc2.weight", "fc2.bias", "temperature"], {}))),
        dict(name="three-groups-eps-beta1-lr", set="embed", sparse=[2, 1],
             groups=G((["embed.weight"], {"eps": 1e-4}),
                      (["head.weight"], {"beta1": 0.5}),
                      (["head.bias"], {"lr": 1e-2}))),
        dict(name="groups-maximize-differ", set="embed", sparse=[3, 2],
             groups=G((["embed.weight"], {"maximize": True}), (["head.weight", "head.bias"], {}))),
        dict(name="param-without-gradient-steps-3-10", set="mlp", sparse=[3, 1], frozen={"fc2.weight": (3, 10)}),
        dict(name="param-without-gradient-steps-1-5", set="tiny", sparse=[2, 1], frozen={"v": (1, 5)}),
        dict(name="scheduled-lr-betas-per-group", set="conv", sparse=[3, 1],
             groups=G((["conv.weight"], {}), (["conv.bias", "scale"], {})),
             scheduled={0: {"lr": ("cosine", 1e-2, 1e-4), "beta1": ("triangle", 0.8, 0.95, 30)},
                        1: {"beta2": ("step", 0.999, 0.9, 50), "eps": ("linear", 1e-8, 1e-3)}}),
        dict(name="rows-rarely-touched-lr-1e-2", set="embed", sparse=[10, 1], opts={"lr": 1e-2}),
        dict(name="rows-mostly-touched", set="wide", sparse=[10, 9]),
        dict(name="maximize-lr-0.1", set="tiny", sparse=[4, 3], opts={"maximize": True, "lr": 0.1}),
        dict(name="beta2-0.9", set="conv", sparse=[2, 1], opts={"beta2": 0.9}),
        dict(name="lr-1.0", set="tiny", sparse=[3, 1], opts={"lr": 1.0}),
    ],
    "lazyadam": [
        dict(name="defaults", set="embed", sparse=[3, 1]),
        dict(name="every-row-touched", set="conv"),
        dict(name="nesterov", set="mlp", sparse=[2, 1], opts={"nesterov": True}),
        dict(name="lr-0.01", set="embed", sparse=[4, 1], opts={"lr": 0.01}),
        dict(name="weight-decay-0.1-untouched-rows-not-decayed", set="embed", sparse=[3, 1],
             opts={"weightDecay": 0.1, "lr": 0.01}),
        dict(name="loss-scale-128", set="conv", sparse=[3, 2], grad_scale=128.0, opts={"lossScale": 128.0}),
        dict(name="weight-decay-with-loss-scale-64", set="mlp", sparse=[2, 1], grad_scale=64.0,
             opts={"weightDecay": 0.01, "lossScale": 64.0}),
        dict(name="betas-0.95-0.99", set="tiny", sparse=[3, 1], opts={"beta1": 0.95, "beta2": 0.99}),
        dict(name="beta1-0.0-nesterov", set="tiny", sparse=[2, 1], opts={"beta1": 0.0, "nesterov": True}),
        dict(name="eps-1e-3", set="wide", sparse=[5, 2], opts={"eps": 1e-3}),
        dict(name="grad-scale-100-init-scale-10", set="conv", sparse=[2, 1], grad_scale=100.0, init_scale=10.0),
        dict(name="grad-scale-1e-6", set="mlp", sparse=[3, 1], grad_scale=1e-6, opts={"eps": 1e-10}),
        dict(name="two-groups-different-lr-betas", set="mlp", sparse=[3, 1],
             groups=G((["fc1.weight", "fc1.bias"], {"lr": 0.01, "beta2": 0.99}),
                      (["fc2.weight", "fc2.bias", "temperature"], {}))),
        dict(name="groups-nesterov-decay-differ", set="conv", sparse=[2, 1],
             groups=G((["conv.weight"], {"nesterov": True}), (["conv.bias", "scale"], {"weightDecay": 0.1}))),
        dict(name="three-groups-eps-beta1-lr", set="embed", sparse=[2, 1],
             groups=G((["embed.weight"], {"eps": 1e-4}),
                      (["head.weight"], {"beta1": 0.5}),
                      (["head.bias"], {"lr": 1e-2}))),
        dict(name="param-without-gradient-steps-3-10", set="mlp", sparse=[3, 1], frozen={"fc2.weight": (3, 10)}),
        dict(name="scheduled-lr-betas-decay-per-group", set="conv", sparse=[3, 1],
             groups=G((["conv.weight"], {}), (["conv.bias", "scale"], {"weightDecay": 0.01})),
             scheduled={0: {"lr": ("cosine", 1e-2, 1e-4), "beta1": ("triangle", 0.8, 0.95, 30)},
                        1: {"beta2": ("step", 0.999, 0.9, 50), "weightDecay": ("linear", 0.0, 0.1)}}),
        dict(name="rows-rarely-touched-lr-1e-2", set="embed", sparse=[10, 1], opts={"lr": 1e-2}),
        dict(name="rows-mostly-touched-nesterov", set="wide", sparse=[10, 9], opts={"nesterov": True}),
        dict(name="lr-0.1-decay-0.01", set="tiny", sparse=[4, 3], opts={"lr": 0.1, "weightDecay": 0.01}),
    ],
    "schedulefreeadamw": [
        dict(name="defaults", set="conv"),
        dict(name="lr-1e-2", set="mlp", opts={"lr": 1e-2}),
        dict(name="betas-0.95-0.99", set="embed", opts={"beta1": 0.95, "beta2": 0.99}),
        dict(name="beta1-0.5", set="tiny", opts={"beta1": 0.5}),
        dict(name="beta1-0.99", set="wide", opts={"beta1": 0.99}),
        dict(name="eps-1e-3", set="conv", opts={"eps": 1e-3}),
        dict(name="weight-decay-0.1-lr-1e-2", set="mlp", opts={"weightDecay": 0.1, "lr": 1e-2}),
        dict(name="weight-lr-power-0-uniform-average", set="embed", opts={"weightLrPower": 0.0}),
        dict(name="weight-lr-power-1", set="tiny", opts={"weightLrPower": 1.0}),
        dict(name="maximize", set="wide", opts={"maximize": True}),
        dict(name="grad-scale-100-init-scale-10", set="conv", grad_scale=100.0, init_scale=10.0),
        dict(name="grad-scale-1e-6", set="mlp", grad_scale=1e-6, opts={"eps": 1e-10}),
        dict(name="two-groups-different-lr-betas", set="mlp",
             groups=G((["fc1.weight", "fc1.bias"], {"lr": 0.01, "beta2": 0.99}),
                      (["fc2.weight", "fc2.bias", "temperature"], {}))),
        dict(name="three-groups-beta1-decay-power", set="embed",
             groups=G((["embed.weight"], {"beta1": 0.8}),
                      (["head.weight"], {"weightDecay": 0.05}),
                      (["head.bias"], {"weightLrPower": 3.0}))),
        dict(name="param-without-gradient-steps-3-10", set="mlp", frozen={"fc2.weight": (3, 10)}),
        dict(name="param-without-gradient-steps-1-5", set="tiny", frozen={"v": (1, 5)}),
        dict(name="scheduled-lr-warmup-from-0", set="conv", scheduled={0: {"lr": ("linear", 0.0, 1e-2)}}),
        dict(name="scheduled-lr-eps-beta2-decay-per-group", set="conv",
             groups=G((["conv.weight"], {}), (["conv.bias", "scale"], {"weightDecay": 0.01})),
             scheduled={0: {"lr": ("cosine", 1e-2, 1e-4), "eps": ("linear", 1e-8, 1e-3)},
                        1: {"beta2": ("step", 0.999, 0.9, 50), "weightDecay": ("linear", 0.0, 0.1)}}),
        dict(name="lr-1.0", set="tiny", opts={"lr": 1.0}),
        dict(name="wide-lr-1e-2-decay-0.01", set="wide", opts={"lr": 1e-2, "weightDecay": 0.01}),
    ],
    "schedulefreesgd": [
        dict(name="defaults", set="conv"),
        dict(name="lr-0.1", set="mlp", opts={"lr": 0.1}),
        dict(name="lr-0.01-beta1-0.95", set="embed", opts={"lr": 0.01, "beta1": 0.95}),
        dict(name="beta1-0.5", set="tiny", opts={"beta1": 0.5}),
        dict(name="beta1-0.99-lr-0.1", set="wide", opts={"beta1": 0.99, "lr": 0.1}),
        dict(name="weight-decay-0.1-lr-0.1", set="mlp", opts={"weightDecay": 0.1, "lr": 0.1}),
        dict(name="weight-decay-1e-3", set="conv", opts={"weightDecay": 1e-3}),
        dict(name="weight-lr-power-0-uniform-average", set="embed", opts={"weightLrPower": 0.0}),
        dict(name="weight-lr-power-1-lr-0.1", set="tiny", opts={"weightLrPower": 1.0, "lr": 0.1}),
        dict(name="maximize", set="wide", opts={"maximize": True}),
        dict(name="grad-scale-100-init-scale-10-lr-1e-3", set="conv", grad_scale=100.0, init_scale=10.0,
             opts={"lr": 1e-3}),
        dict(name="grad-scale-1e-6", set="mlp", grad_scale=1e-6),
        dict(name="two-groups-different-lr-beta1", set="mlp",
             groups=G((["fc1.weight", "fc1.bias"], {"lr": 0.1, "beta1": 0.8}),
                      (["fc2.weight", "fc2.bias", "temperature"], {}))),
        dict(name="three-groups-beta1-decay-power", set="embed",
             groups=G((["embed.weight"], {"beta1": 0.8}),
                      (["head.weight"], {"weightDecay": 0.05}),
                      (["head.bias"], {"weightLrPower": 3.0}))),
        dict(name="param-without-gradient-steps-3-10", set="mlp", frozen={"fc2.weight": (3, 10)}),
        dict(name="param-without-gradient-steps-1-5", set="tiny", frozen={"v": (1, 5)}),
        dict(name="scheduled-lr-warmup-from-0", set="conv", scheduled={0: {"lr": ("linear", 0.0, 0.5)}}),
        dict(name="scheduled-lr-decay-per-group", set="conv",
             groups=G((["conv.weight"], {}), (["conv.bias", "scale"], {"weightDecay": 0.01})),
             scheduled={0: {"lr": ("cosine", 0.5, 0.01)}, 1: {"weightDecay": ("linear", 0.0, 0.1)}}),
        dict(name="maximize-weight-decay-0.01", set="tiny", opts={"maximize": True, "weightDecay": 0.01}),
        dict(name="wide-lr-0.01", set="wide", opts={"lr": 0.01}),
    ],
    "radamw": [
        dict(name="defaults", set="conv"),
        dict(name="weight-decay-0.01", set="mlp", opts={"weightDecay": 0.01}),
        dict(name="weight-decay-0.1-lr-1e-2", set="embed", opts={"weightDecay": 0.1, "lr": 1e-2}),
        dict(name="weight-decay-1.0", set="tiny", opts={"weightDecay": 1.0}),
        dict(name="weight-decay-0.05-beta2-0.9", set="wide", opts={"weightDecay": 0.05, "beta2": 0.9}),
        dict(name="weight-decay-0.01-beta2-0.6-never-rectifies", set="conv", opts={"weightDecay": 0.01, "beta2": 0.6}),
        dict(name="weight-decay-0.1-eps-1e-3", set="mlp", opts={"weightDecay": 0.1, "eps": 1e-3}),
        dict(name="weight-decay-0.01-maximize", set="embed", opts={"weightDecay": 0.01, "maximize": True}),
        dict(name="maximize", set="wide", opts={"maximize": True}),
        dict(name="grad-scale-100-init-scale-10-weight-decay-0.1", set="conv", grad_scale=100.0, init_scale=10.0,
             opts={"weightDecay": 0.1}),
        dict(name="grad-scale-1e-6-weight-decay-0.01", set="tiny", grad_scale=1e-6, opts={"weightDecay": 0.01}),
        dict(name="two-groups-weight-decay-differs", set="mlp",
             groups=G((["fc1.weight", "fc1.bias"], {"weightDecay": 0.1}),
                      (["fc2.weight", "fc2.bias", "temperature"], {"lr": 1e-2}))),
        dict(name="groups-maximize-and-weight-decay-differ", set="conv", opts={"weightDecay": 0.01},
             groups=G((["conv.weight"], {"maximize": True}), (["conv.bias", "scale"], {"weightDecay": 0.0}))),
        dict(name="three-groups-betas-weight-decay-lr", set="embed",
             groups=G((["embed.weight"], {"weightDecay": 0.05, "beta1": 0.5}),
                      (["head.weight"], {"lr": 1e-2, "weightDecay": 0.2}),
                      (["head.bias"], {}))),
        dict(name="param-without-gradient-steps-3-10", set="mlp", opts={"weightDecay": 0.1},
             frozen={"fc2.weight": (3, 10)}),
        dict(name="param-without-gradient-steps-1-5", set="tiny", opts={"weightDecay": 0.5}, frozen={"v": (1, 5)}),
        dict(name="scheduled-lr-and-weight-decay-per-group", set="conv",
             groups=G((["conv.weight"], {"weightDecay": 0.01}), (["conv.bias", "scale"], {})),
             scheduled={0: {"lr": ("cosine", 1e-2, 1e-4), "weightDecay": ("triangle", 0.0, 0.1, 30)},
                        1: {"beta2": ("step", 0.999, 0.9, 50), "weightDecay": ("linear", 0.1, 0.0)}}),
        dict(name="wide-conv-lr-1e-2-weight-decay-0.01", set="wide", opts={"lr": 1e-2, "weightDecay": 0.01}),
        dict(name="embed-betas-0.5-0.95-weight-decay-0.05", set="embed",
             opts={"beta1": 0.5, "beta2": 0.95, "weightDecay": 0.05}),
        dict(name="lr-0.1-weight-decay-0.01", set="mlp", opts={"lr": 0.1, "weightDecay": 0.01}),
    ],
    # lr is never scheduled: torch reads it once, where the step sizes start.
    "rprop": [
        dict(name="defaults", set="conv"),
        dict(name="lr-1e-3", set="mlp", opts={"lr": 1e-3}),
        dict(name="etas-0.3-1.5", set="embed", opts={"etaMinus": 0.3, "etaPlus": 1.5}),
        dict(name="etas-0.9-1.01", set="tiny", opts={"etaMinus": 0.9, "etaPlus": 1.01}),
        dict(name="step-sizes-1e-4-1e-2", set="wide", opts={"stepSizeMin": 1e-4, "stepSizeMax": 1e-2}),
        dict(name="step-size-min-0-max-1", set="conv", opts={"stepSizeMin": 0.0, "stepSizeMax": 1.0}),
        dict(name="step-size-max-below-lr", set="mlp", opts={"lr": 0.1, "stepSizeMax": 0.05}),
        dict(name="maximize", set="embed", opts={"maximize": True}),
        dict(name="maximize-lr-0.1", set="wide", opts={"maximize": True, "lr": 0.1}),
        dict(name="grad-scale-100-init-scale-10", set="conv", grad_scale=100.0, init_scale=10.0),
        dict(name="grad-scale-1e-6", set="tiny", grad_scale=1e-6),
        dict(name="lr-1e-4-etas-0.5-2.0", set="mlp", opts={"lr": 1e-4, "etaPlus": 2.0}),
        dict(name="two-groups-different-lr-etas", set="mlp",
             groups=G((["fc1.weight", "fc1.bias"], {"lr": 1e-3, "etaMinus": 0.2}),
                      (["fc2.weight", "fc2.bias", "temperature"], {}))),
        dict(name="groups-step-sizes-differ", set="conv",
             groups=G((["conv.weight"], {"stepSizeMax": 0.02}), (["conv.bias", "scale"], {"stepSizeMin": 1e-3}))),
        dict(name="three-groups-maximize-etas-lr", set="embed",
             groups=G((["embed.weight"], {"etaPlus": 1.1}),
                      (["head.weight"], {"lr": 0.05}),
                      (["head.bias"], {"maximize": True}))),
        dict(name="param-without-gradient-steps-10-20", set="mlp", frozen={"fc2.weight": (10, 20)}),
        dict(name="param-without-gradient-steps-1-5", set="tiny", opts={"lr": 0.1}, frozen={"v": (1, 5)}),
        dict(name="scheduled-etas-and-step-sizes-per-group", set="conv",
             groups=G((["conv.weight"], {}), (["conv.bias", "scale"], {"lr": 1e-3})),
             scheduled={0: {"etaMinus": ("triangle", 0.3, 0.7, 30), "etaPlus": ("cosine", 1.5, 1.05)},
                        1: {"stepSizeMax": ("step", 50.0, 0.01, 50), "stepSizeMin": ("linear", 1e-6, 1e-3)}}),
        dict(name="wide-conv-lr-0.5", set="wide", opts={"lr": 0.5}),
        dict(name="embed-etas-0.1-3.0", set="embed", opts={"etaMinus": 0.1, "etaPlus": 3.0}),
    ],
    "adamax": [
        dict(name="defaults", set="conv"),
        dict(name="lr-1e-3", set="mlp", opts={"lr": 1e-3}),
        dict(name="betas-0.95-0.99", set="embed", opts={"beta1": 0.95, "beta2": 0.99}),
        dict(name="beta1-0.0", set="tiny", opts={"beta1": 0.0}),
        dict(name="beta2-0.0", set="wide", opts={"beta2": 0.0}),
        dict(name="eps-1e-3", set="conv", opts={"eps": 1e-3}),
        dict(name="weight-decay-0.1", set="mlp", opts={"weightDecay": 0.1}),
        dict(name="weight-decay-0.01-maximize", set="wide", opts={"weightDecay": 0.01, "maximize": True}),
        dict(name="maximize", set="embed", opts={"maximize": True}),
        dict(name="grad-scale-100-init-scale-10", set="conv", grad_scale=100.0, init_scale=10.0),
        dict(name="grad-scale-1e-6", set="tiny", grad_scale=1e-6, opts={"eps": 1e-10}),
        dict(name="lr-0.1-betas-0.5-0.9", set="mlp", opts={"lr": 0.1, "beta1": 0.5, "beta2": 0.9}),
        dict(name="two-groups-different-lr-betas", set="mlp",
             groups=G((["fc1.weight", "fc1.bias"], {"lr": 1e-2, "beta1": 0.8}),
                      (["fc2.weight", "fc2.bias", "temperature"], {}))),
        dict(name="groups-weight-decay-eps-differ", set="conv",
             groups=G((["conv.weight"], {"weightDecay": 0.05}), (["conv.bias", "scale"], {"eps": 1e-4}))),
        dict(name="three-groups-maximize-beta2-lr", set="embed",
             groups=G((["embed.weight"], {"beta2": 0.9}),
                      (["head.weight"], {"lr": 1e-2}),
                      (["head.bias"], {"maximize": True}))),
        dict(name="param-without-gradient-steps-10-20", set="mlp", frozen={"fc2.weight": (10, 20)}),
        dict(name="param-without-gradient-steps-1-5", set="tiny", opts={"weightDecay": 0.1}, frozen={"v": (1, 5)}),
        dict(name="scheduled-lr-betas-per-group", set="conv",
             groups=G((["conv.weight"], {}), (["conv.bias", "scale"], {"weightDecay": 0.01})),
             scheduled={0: {"lr": ("cosine", 2e-3, 1e-5), "beta1": ("triangle", 0.8, 0.95, 30)},
                        1: {"beta2": ("step", 0.999, 0.9, 50), "eps": ("linear", 1e-8, 1e-4)}}),
        dict(name="wide-conv-lr-1e-2", set="wide", opts={"lr": 1e-2}),
        dict(name="embed-betas-0.99-0.9999", set="embed", opts={"beta1": 0.99, "beta2": 0.9999, "lr": 1e-3}),
    ],
    "adadelta": [
        dict(name="defaults", set="conv"),
        dict(name="lr-0.1", set="mlp", opts={"lr": 0.1}),
        dict(name="rho-0.5", set="embed", opts={"rho": 0.5}),
        dict(name="rho-0.0", set="tiny", opts={"rho": 0.0}),
        dict(name="rho-0.99", set="wide", opts={"rho": 0.99}),
        dict(name="eps-1e-3", set="conv", opts={"eps": 1e-3}),
        dict(name="eps-1e-8-lr-10", set="mlp", opts={"eps": 1e-8, "lr": 10.0}),
        dict(name="weight-decay-0.1", set="embed", opts={"weightDecay": 0.1}),
        dict(name="weight-decay-0.01-maximize", set="wide", opts={"weightDecay": 0.01, "maximize": True}),
        dict(name="maximize", set="tiny", opts={"maximize": True}),
        dict(name="grad-scale-100-init-scale-10", set="conv", grad_scale=100.0, init_scale=10.0),
        dict(name="grad-scale-0.001", set="embed", grad_scale=0.001),
        dict(name="two-groups-different-lr-rho", set="mlp",
             groups=G((["fc1.weight", "fc1.bias"], {"lr": 0.5, "rho": 0.8}),
                      (["fc2.weight", "fc2.bias", "temperature"], {}))),
        dict(name="groups-weight-decay-eps-differ", set="conv",
             groups=G((["conv.weight"], {"weightDecay": 0.05}), (["conv.bias", "scale"], {"eps": 1e-4}))),
        dict(name="three-groups-maximize-rho-lr", set="embed",
             groups=G((["embed.weight"], {"rho": 0.95}),
                      (["head.weight"], {"lr": 0.1}),
                      (["head.bias"], {"maximize": True}))),
        dict(name="param-without-gradient-steps-10-20", set="mlp", frozen={"fc2.weight": (10, 20)}),
        dict(name="param-without-gradient-steps-1-5", set="tiny", opts={"weightDecay": 0.1}, frozen={"v": (1, 5)}),
        dict(name="scheduled-lr-rho-per-group", set="conv",
             groups=G((["conv.weight"], {}), (["conv.bias", "scale"], {"weightDecay": 0.01})),
             scheduled={0: {"lr": ("cosine", 1.0, 0.01), "rho": ("triangle", 0.8, 0.95, 30)},
                        1: {"eps": ("linear", 1e-6, 1e-3), "weightDecay": ("step", 0.01, 0.0, 50)}}),
        dict(name="wide-conv-lr-0.5", set="wide", opts={"lr": 0.5}),
        dict(name="mlp-rho-0.95-eps-1e-5", set="mlp", opts={"rho": 0.95, "eps": 1e-5}),
    ],
    # Gradient clipping in front of an optimizer: torch.nn.utils.clip_grad_norm_ / clip_grad_value_
    # over every parameter with a gradient (or over each group's), then the optimizer's step.
    "clip": [
        dict(name="adam-norm-2-max-1", optimizer="adam", set="mlp", clip={"maxNorm": 1.0, "normType": 2.0}),
        dict(name="adam-norm-2-max-100-inactive", optimizer="adam", set="mlp", clip={"maxNorm": 100.0, "normType": 2.0}),
        dict(name="adam-norm-inf-max-0.5", optimizer="adam", set="conv", clip={"maxNorm": 0.5, "normType": "inf"}),
        dict(name="sgd-momentum-norm-2-max-0.1", optimizer="sgd", set="conv", opts={"momentum": 0.9, "lr": 0.1},
             clip={"maxNorm": 0.1, "normType": 2.0}),
        dict(name="sgd-norm-2-per-group", optimizer="sgd", set="mlp", opts={"lr": 0.1},
             groups=G((["fc1.weight", "fc1.bias"], {"lr": 0.05}), (["fc2.weight", "fc2.bias", "temperature"], {})),
             clip={"maxNorm": 0.5, "normType": 2.0, "perGroup": True}),
        dict(name="adamw-norm-inf-per-group", optimizer="adamw", set="embed",
             groups=G((["embed.weight"], {}), (["head.weight", "head.bias"], {"weightDecay": 0.1})),
             clip={"maxNorm": 0.25, "normType": "inf", "perGroup": True}),
        dict(name="sgd-norm-2-max-5-grad-scale-100", optimizer="sgd", set="wide", grad_scale=100.0,
             clip={"maxNorm": 5.0, "normType": 2.0}),
        dict(name="adam-norm-2-weight-decay-maximize", optimizer="adam", set="mlp",
             opts={"weightDecay": 0.1, "maximize": True}, clip={"maxNorm": 0.3, "normType": 2.0}),
        dict(name="adam-norm-2-two-groups-global", optimizer="adam", set="conv",
             groups=G((["conv.weight"], {"lr": 0.01}), (["conv.bias", "scale"], {})),
             clip={"maxNorm": 0.2, "normType": 2.0}),
        dict(name="sgd-norm-2-frozen", optimizer="sgd", set="tiny", opts={"momentum": 0.9},
             frozen={"v": (10, 30), "s": (50, 60)}, clip={"maxNorm": 0.4, "normType": 2.0}),
        dict(name="adam-norm-2-max-0", optimizer="adam", set="tiny", clip={"maxNorm": 0.0, "normType": 2.0}),
        dict(name="sgd-value-0.5", optimizer="sgd", set="conv", opts={"lr": 0.1}, clip={"clipValue": 0.5}),
        dict(name="adam-value-0.01", optimizer="adam", set="mlp", clip={"clipValue": 0.01}),
        dict(name="sgd-value-3-grad-scale-10", optimizer="sgd", set="embed", grad_scale=10.0,
             opts={"momentum": 0.5}, clip={"clipValue": 3.0}),
    ],
    # Dynamic loss scaling: each step's gradients are multiplied by the scale and rounded to float16
    # (infinite past 65504), then GradScaler unscales them, skips the step on an overflow and
    # updates the scale. "nan" puts a NaN or an infinity into a raw gradient: {step: [param, element, value]}.
    "scaler": [
        dict(name="adam-gradscaler-defaults", optimizer="adam", set="mlp", grad_scale=2.0, steps=SCALER_STEPS,
             scaler={}),
        dict(name="sgd-momentum-interval-10", optimizer="sgd", set="mlp", opts={"momentum": 0.9},
             steps=SCALER_STEPS, scaler={"growthInterval": 10}),
        dict(name="adamw-growth-3-backoff-0.25-interval-7", optimizer="adamw", set="conv", grad_scale=0.5,
             steps=SCALER_STEPS, scaler={"growthFactor": 3.0, "backoffFactor": 0.25, "growthInterval": 7}),
        dict(name="adam-clip-norm-1-interval-25", optimizer="adam", set="embed", steps=SCALER_STEPS,
             scaler={"growthInterval": 25}, clip={"maxNorm": 1.0, "normType": 2.0}),
        dict(name="sgd-nan-and-inf-gradients", optimizer="sgd", set="tiny", opts={"lr": 0.1}, steps=SCALER_STEPS,
             scaler={"initScale": 1024.0, "growthInterval": 50},
             nan={30: [0, 3, "nan"], 31: [2, 0, "inf"], 100: [1, 4, "-inf"], 150: [0, 0, "nan"]}),
        dict(name="adam-tiny-gradients-from-scale-1", optimizer="adam", set="wide", grad_scale=1e-6,
             steps=SCALER_STEPS, scaler={"initScale": 1.0, "growthInterval": 5}),
        dict(name="adam-two-groups-interval-15", optimizer="adam", set="conv", steps=SCALER_STEPS,
             groups=G((["conv.weight"], {"lr": 0.01}), (["conv.bias", "scale"], {"weightDecay": 0.1})),
             scaler={"growthInterval": 15}),
    ],
}

SEED_BASE = {"sgd": 1, "adam": 101, "adamw": 201, "momentum": 301, "lion": 401, "clip": 501, "scaler": 601,
             "rmsprop": 701, "adagrad": 801, "adamax": 901, "adadelta": 1001, "rprop": 1101, "radam": 1201, "radamw": 1301,
             "nadam": 1401, "nadamw": 1501, "asgd": 1601,
             "adabelief": 1701, "yogi": 1801, "ftrl": 1901, "proximaladagrad": 2001, "adamweightdecay": 2101,
             "mindsporeadam": 2201, "adan": 2301, "ademamix": 2401, "sparseadam": 2501, "lazyadam": 2601,
             "schedulefreeadamw": 2701, "schedulefreesgd": 2801, "novograd": 2901, "lamb": 3001, "lars": 3101, "muon": 3201, "adafactor": 3301,
             "prodigy": 3401}


# ---------------------------------------------------------------------------
# Running a case.

def curve(kind, *args):
    """Per-step values (step 1..STEPS) of a few simple shapes, as Python doubles; schedules run 100 steps."""
    def at(t):
        u = (t - 1) / (STEPS - 1)
        if kind == "linear":
            a, b = args
            return a + (b - a) * u
        if kind == "cosine":
            a, b = args
            return b + (a - b) * (1 + math.cos(math.pi * u)) / 2
        if kind == "step":
            a, b, at_step = args
            return a if t < at_step else b
        if kind == "triangle":
            a, b, period = args
            x = ((t - 1) % period) / period
            return a + (b - a) * (1 - abs(2 * x - 1))
        raise ValueError(kind)
    return [at(t) for t in range(1, STEPS + 1)]


def build_case(fixture, index, spec):
    seed = SEED_BASE[fixture] + index
    opt_name = spec.get("optimizer", fixture)
    clip = spec.get("clip")
    scaler = spec.get("scaler")
    steps = spec.get("steps", STEPS)
    nan = {int(t): v for t, v in spec.get("nan", {}).items()}
    grad_scale = float(spec.get("grad_scale", 1.0))
    init_scale = float(spec.get("init_scale", 1.0))
    pset = PARAM_SETS[spec["set"]]
    names = [n for n, _ in pset]
    defaults = dict(DEFAULTS[opt_name])
    for key, value in spec.get("opts", {}).items():
        assert key in defaults, (opt_name, key)
        defaults[key] = value
    groups = spec.get("groups") or [(names, {})]
    listed = [n for ns, _ in groups for n in ns]
    assert sorted(listed) == sorted(names) and len(set(listed)) == len(listed), spec["name"]
    for _, overrides in groups:
        for key in overrides:
            assert key in defaults, (opt_name, key)
            if opt_name == "momentum":  # MindSpore groups only take lr / weight_decay
                assert key in ("lr", "weightDecay"), key

    params = []
    for p_index, (name, shape) in enumerate(pset):
        n = int(np.prod(shape, dtype=np.int64))
        init = gen_values(seed, 0, p_index, n, init_scale)
        params.append({"name": name, "shape": list(shape), "n": n, "init": init})

    # Steps (inclusive ranges) in which a parameter has no gradient: torch.optim skips it and its
    # per-parameter step does not advance; the Java replay freezes it for those steps.
    frozen = {name: list(range(lo, hi + 1)) for name, (lo, hi) in spec.get("frozen", {}).items()}
    assert set(frozen) <= set(names), spec["name"]
    assert opt_name != "momentum" or not frozen, "MindSpore's Momentum has no per-parameter skip"

    # Hyperparameters set by hand before each step, per group: what an Anneal schedule does.
    scheduled = [{"group": g, "option": option, "values": curve(*shape)}
                 for g, options in spec.get("scheduled", {}).items() for option, shape in options.items()]

    assert not scheduled or steps == STEPS, spec["name"]
    scales = []
    averages = {}
    sparse = spec.get("sparse")
    # "pull" adds pull * w to each gradient (a bowl around zero under the noise), so that there is a
    # distance to travel: what makes Prodigy's estimate grow.
    pull = float(spec.get("pull", 0.0))
    trajectory = run_reference(opt_name, seed, grad_scale, params, defaults, groups, frozen, scheduled, clip,
                               steps, scaler, nan, scales, averages, sparse, pull)

    return {
        "name": spec["name"],
        **({"optimizer": opt_name} if clip or scaler is not None else {}),
        **({"clip": clip} if clip else {}),
        **({"scaler": scaler, "nan": {str(t): v for t, v in nan.items()},
            "loss_scale": [s for s, _ in scales], "skipped": [t for t, (_, bad) in enumerate(scales, 1) if bad]}
           if scaler is not None else {}),
        **({"sparse": sparse} if sparse else {}),
        **({"pull": pull} if pull else {}),
        "seed": seed,
        "grad_scale": grad_scale,
        "init_scale": init_scale,
        "steps": steps,
        "params": [{"name": p["name"], "shape": p["shape"], "init": F32(p["init"])} for p in params],
        "defaults": defaults,
        "groups": [{"params": list(ns), "options": dict(ov)} for ns, ov in groups],
        "frozen": frozen,
        "scheduled": scheduled,
        "trajectory": {p["name"]: [F32(row) for row in trajectory[p["name"]]] for p in params},
        **({"average": {name: F32(values) for name, values in averages.items()}} if averages else {}),
    }


def clip_gradients(clip, tensors, groups):
    """torch.nn.utils' clipping over every parameter with a gradient, or over each group's."""
    sets = [[tensors[n] for n in ns] for ns, _ in groups] if clip.get("perGroup") else [list(tensors.values())]
    for members in sets:
        live = [t for t in members if t.grad is not None]
        if "clipValue" in clip:
            torch.nn.utils.clip_grad_value_(live, clip["clipValue"])
        elif live:
            torch.nn.utils.clip_grad_norm_(live, clip["maxNorm"], norm_type=float(clip["normType"]))


def cpu_grad_scaler(options):
    """torch.cuda.amp.GradScaler on the CPU: its own Python code, with the two CUDA kernels it calls
    written out from aten/src/ATen/native/cuda/AmpKernels.cu (1.13):
      _amp_foreach_non_finite_check_and_unscale_: found_inf = 1 if any value is not finite;
          each value times inv_scale (float32), unless inv_scale is 1
      _amp_update_scale_: on found_inf, scale = float(scale * backoff) and tracker = 0; else
          tracker + 1, and when that reaches the interval, scale = float(scale * growth) if
          that is finite, and tracker = 0 (float * double, rounded to float)."""
    from torch.cuda.amp import grad_scaler

    def unscale(grads, found_inf, inv_scale):
        for g in grads:
            if not bool(torch.isfinite(g).all()):
                found_inf.fill_(1.0)
            if inv_scale.item() != 1.0:
                g.mul_(inv_scale.item())

    def update(scale, tracker, found_inf, growth, backoff, interval):
        if found_inf.item():
            scale.fill_(float(np.float32(scale.item() * backoff)))
            tracker.fill_(0)
            return scale
        good = int(tracker.item()) + 1
        if good == interval:
            grown = np.float32(scale.item() * growth)
            if np.isfinite(grown):
                scale.fill_(float(grown))
            good = 0
        tracker.fill_(good)
        return scale

    class SameDevice:
        """GradScaler's per-device replicator, for one CPU device."""
        def __init__(self, master):
            self.master = master
            self._per_device_tensors = {}

        def get(self, device):
            return self._per_device_tensors.setdefault(device, self.master)

    grad_scaler.amp_definitely_not_available = lambda: False
    grad_scaler._MultiDeviceReplicator = SameDevice
    torch._amp_foreach_non_finite_check_and_unscale_ = unscale
    torch._amp_update_scale_ = update
    scaler = grad_scaler.GradScaler(init_scale=options.get("initScale", 2.0 ** 16),
                                    growth_factor=options.get("growthFactor", 2.0),
                                    backoff_factor=options.get("backoffFactor", 0.5),
                                    growth_interval=options.get("growthInterval", 2000))
    assert scaler.is_enabled()
    scaler._lazy_init_scale_growth_tracker(torch.device("cpu"))
    return scaler


def as_float16_backward(grad, scale):
    """A float32 gradient as a float16 backward pass of the loss times scale leaves it, back in float32."""
    return (grad * scale).half().float()


def kept_rows(sparse, step, p_index, shape):
    """Row r (along the first dimension; 0 for a scalar) of parameter p keeps its gradient at step t
    when (t + 2r + 3p) mod period < kept, sparse = [period, kept]; the other rows' gradients are zero."""
    period, kept = sparse
    rows = np.arange(shape[0] if shape else 1)
    return (step + 2 * rows + 3 * p_index) % period < kept


def run_reference(opt_name, seed, grad_scale, params, defaults, groups, frozen, scheduled, clip=None,
                  steps=STEPS, scaler_options=None, nan=None, scales=None, averages=None, sparse=None, pull=0.0):
    tensors = {}
    for p in params:
        t = torch.from_numpy(p["init"].copy()).reshape(p["shape"])
        tensors[p["name"]] = t.requires_grad_(True)
    assert all(t.dtype == torch.float32 for t in tensors.values())
    # Per group, the options the generator writes out itself (WRITTEN_OUT), as they stand now.
    lacking = WRITTEN_OUT.get(opt_name, set())
    written = [{k: v for k, v in dict(defaults, **ov).items() if k in lacking} for _, ov in groups]

    if opt_name == "momentum":
        full_groups = [dict(defaults, **ov, params=[tensors[n] for n in ns]) for ns, ov in groups]
        opt = MindSporeMomentum(full_groups, defaults["momentum"], defaults["nesterov"],
                                defaults["lossScale"])
    elif opt_name in WRITTEN_RULES:
        opt = WRITTEN_RULES[opt_name]([dict(defaults, **ov, params=[tensors[n] for n in ns]) for ns, ov in groups])
    else:
        cls = TORCH_CLASSES[opt_name]

        def supported(options):
            return {k: v for k, v in options.items() if k not in lacking}
        torch_groups = [dict(torch_kwargs(supported(ov), dict(defaults, **ov)), params=[tensors[n] for n in ns])
                        for ns, ov in groups]
        foreach = {} if opt_name in NO_FOREACH else {"foreach": False}
        opt = cls(torch_groups, **foreach, **torch_kwargs(supported(defaults), defaults))
        for g in opt.param_groups:
            assert opt_name in NO_FOREACH or g["foreach"] is False
        if opt_name == "adagrad":
            # torch fills every sum with the constructor's value, whatever a group says; Anneal
            # honours each group's, so the reference starts each group's sums at its own value.
            for g in opt.param_groups:
                for p in g["params"]:
                    opt.state[p]["sum"].fill_(g["initial_accumulator_value"])

    scaler = cpu_grad_scaler(scaler_options) if scaler_options is not None else None
    out = {p["name"]: [] for p in params}
    for step in range(1, steps + 1):
        for entry in scheduled:
            value = entry["values"][step - 1]
            if opt_name == "momentum":
                assert entry["option"] == "weightDecay", "MindSpore schedules lr and weight decay only"
                opt.set_weight_decay(entry["group"], value, defaults["lossScale"])
                continue
            group = opt.param_groups[entry["group"]]
            pairs = {name: (pair, i) for pair, names in TORCH_PAIRS.items() for i, name in enumerate(names)}
            if entry["option"] in WRITTEN_OUT.get(opt_name, ()):
                written[entry["group"]][entry["option"]] = value
            elif opt_name in WRITTEN_RULES:
                group[entry["option"]] = value
            elif entry["option"] in pairs:
                pair, i = pairs[entry["option"]]
                group[pair] = tuple(value if j == i else v for j, v in enumerate(group[pair]))
            else:
                group[TORCH_NAMES[entry["option"]]] = value
        for p_index, p in enumerate(params):
            if step in frozen.get(p["name"], ()):
                tensors[p["name"]].grad = None
                continue
            grad = gen_values(seed, step, p_index, p["n"], grad_scale)
            if pull:
                grad = grad + np.float32(pull) * tensors[p["name"]].detach().numpy().reshape(-1)
            if sparse:
                rows = kept_rows(sparse, step, p_index, p["shape"])
                # +0.0, as an untouched row of an embedding's gradient holds (-0.0 would read as no gradient).
                grad = np.where(rows[:, None], grad.reshape(len(rows), -1), np.float32(0)).reshape(-1)
            if nan and step in nan and nan[step][0] == p_index:
                grad[nan[step][1]] = float(nan[step][2])
            grad = torch.from_numpy(grad).reshape(p["shape"])
            if opt_name == "sparseadam":
                # Rows as sparse indices; a gradient with no row is given with no element (1.13's
                # sparse_mask fails on an empty hybrid tensor), which SparseAdam counts as a step too.
                grad = grad.to_sparse(1) if grad.dim() > 0 and bool(grad.any()) else grad.to_sparse()
            tensors[p["name"]].grad = as_float16_backward(grad, scaler.get_scale()) if scaler else grad
        for index, (ns, _) in enumerate(groups):
            live = [tensors[n] for n in ns if tensors[n].grad is not None]
            if written[index].get("maximize"):
                # torch 2.x negates the gradient first, before weight decay.
                for t in live:
                    t.grad.neg_()
            if written[index].get("weightDecay"):
                # torch 2.x's decoupled_weight_decay: param.mul_(1 - lr * weight_decay), before the moments.
                for t in live:
                    t.detach().mul_(1 - opt.param_groups[index]["lr"] * written[index]["weightDecay"])
        if scaler and clip:
            scaler.unscale_(opt)
        if clip:
            clip_gradients(clip, tensors, groups)
        if scaler:
            scaler.step(opt)
            # What step() decided on, read before update() clears it.
            found = sum(v.item() for v in scaler._per_optimizer_states[id(opt)]["found_inf_per_device"].values())
            scaler.update()
            scales.append((scaler.get_scale(), bool(found)))
        else:
            opt.step()
        for p in params:
            values = tensors[p["name"]].detach().clone().reshape(-1).numpy()
            assert values.dtype == np.float32 and np.all(np.isfinite(values))
            out[p["name"]].append(values)
    if opt_name == "asgd" and averages is not None:
        # ASGD's average of the weights after the last step, what Anneal's swapAverages() puts in.
        for p in params:
            averages[p["name"]] = opt.state[tensors[p["name"]]]["ax"].clone().reshape(-1).numpy()
    if opt_name.startswith("schedulefree") and averages is not None:
        # Schedule-Free's x after the last step, (y - (1 - beta1) z) / beta1, what swapAverages() puts in.
        for g in opt.param_groups:
            for t in g["params"]:
                name = next(n for n, v in tensors.items() if v is t)
                z = opt.state[id(t)]["z"]
                averages[name] = t.detach().sub(z, alpha=1 - g["beta1"]).div(g["beta1"]).reshape(-1).numpy()
    return out


# ---------------------------------------------------------------------------
# JSON output: hyperparameters as Python doubles (repr), float32 arrays with the
# shortest string that reads back to the same float32.

class F32:
    def __init__(self, values):
        self.values = np.asarray(values, dtype=np.float32).reshape(-1)


def f32_str(v):
    v = np.float32(v)
    assert np.isfinite(v)
    s = str(v)  # numpy's shortest round-trip repr for float32
    check_f32_str(s, v)
    return s


def check_f32_str(s, v):
    """s must parse to v both directly and via double (no double-rounding tie)."""
    json.loads(s)
    x = float(s)
    assert np.float32(x).tobytes() == v.tobytes(), (s, v)
    for towards in (np.float32(np.inf), np.float32(-np.inf)):
        mid = (float(v) + float(np.nextafter(v, towards))) / 2  # exact in double
        assert x != mid, (s, v)


def dump(obj, indent=0):
    pad = " " * indent
    if isinstance(obj, F32):
        return "[" + ",".join(f32_str(v) for v in obj.values) + "]"
    if isinstance(obj, bool):
        return "true" if obj else "false"
    if isinstance(obj, float):
        assert math.isfinite(obj)
        return repr(obj)
    if isinstance(obj, (int, str)) or obj is None:
        return json.dumps(obj)
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        if all(not isinstance(v, (dict, list, F32)) for v in obj.values()):
            return "{" + ", ".join(json.dumps(k) + ": " + dump(v) for k, v in obj.items()) + "}"
        items = [pad + "  " + json.dumps(k) + ": " + dump(v, indent + 2) for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, list):
        if all(not isinstance(v, (dict, list, F32)) for v in obj):
            return "[" + ", ".join(dump(v) for v in obj) + "]"
        items = [pad + "  " + dump(v, indent + 2) for v in obj]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    raise TypeError(type(obj))


def torch_defaults(opt_name):
    """The constructor defaults of the torch.optim class, in our option names (numbers and flags only)."""
    cls = TORCH_CLASSES.get(opt_name)
    if cls is None:
        return {}
    ours = {torch_name: name for name, torch_name in TORCH_NAMES.items()}
    out = {}
    for name, parameter in inspect.signature(cls).parameters.items():
        value = parameter.default
        if name in TORCH_PAIRS:
            first, second = TORCH_PAIRS[name]
            out[first], out[second] = float(value[0]), float(value[1])
        elif name in ours and isinstance(value, (bool, int, float)):
            out[ours[name]] = value if isinstance(value, bool) else float(value)
    return out


def render(opt_name):
    cases = [build_case(opt_name, i, spec) for i, spec in enumerate(CASES[opt_name])]
    names = [c["name"] for c in cases]
    assert len(set(names)) == len(names)
    doc = {
        "generator": GENERATOR,
        "reference": REFERENCES[opt_name].format(v=torch.__version__),
        "torch_version": torch.__version__,
        "optimizer": opt_name,
        "torch_defaults": torch_defaults(opt_name),
        "cases": cases,
    }
    text = dump(doc) + "\n"
    verify_rendered(text, cases)
    return text


def verify_rendered(text, cases):
    """Parse back and check every float32 and hyperparameter survived exactly."""
    parsed = json.loads(text)
    for case, back in zip(cases, parsed["cases"]):
        assert back["defaults"] == case["defaults"]
        for p, bp in zip(case["params"], back["params"]):
            assert np.array_equal(np.asarray(bp["init"], dtype=np.float32), p["init"].values)
        for name, rows in case["trajectory"].items():
            got = np.asarray(back["trajectory"][name], dtype=np.float32)
            want = np.stack([r.values for r in rows])
            assert got.shape == (case["steps"], want.shape[1]) and np.array_equal(got.view(np.uint32),
                                                                          want.view(np.uint32))


# ---------------------------------------------------------------------------
# Self-checks and entry point.

def self_check_generator():
    """mix_vec must equal the pure-Python mix for every value the cases use."""
    for opt_name, specs in CASES.items():
        for index, spec in enumerate(specs):
            seed = SEED_BASE[opt_name] + index
            for p_index, (_, shape) in enumerate(PARAM_SETS[spec["set"]]):
                n = int(np.prod(shape, dtype=np.int64))
                for step in range(spec.get("steps", STEPS) + 1):
                    vec = mix_vec(seed, step, p_index, n)
                    ref = np.array([mix(seed, step, p_index, i) for i in range(n)], dtype=np.float32)
                    assert np.array_equal(vec, ref), (opt_name, index, step, p_index)
    # extremes of the hash input range and of the output range
    for seed in (0, 1, 2**63 - 1, 2**64 - 1):
        assert np.array_equal(mix_vec(seed, 7, 3, 64),
                              np.array([mix(seed, 7, 3, i) for i in range(64)], dtype=np.float32))


def sample_values():
    return [mix(1, 1, 0, i) for i in range(5)]


def write_or_check(doc, out, render, summary):
    """The command line of a generator that writes one file: (re)write `out` with `render()`, or
    with --check fail if the file on disk differs; either way fail if two renders differ."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="regenerate in memory and fail if the file differs")
    args = parser.parse_args()
    torch.set_num_threads(1)
    text = render()
    if text != render():
        print("non-deterministic output", file=sys.stderr)
        return 1
    if args.check:
        same = out.exists() and out.read_text(encoding="utf-8") == text
        print(f"{out.relative_to(ROOT)}: {'ok' if same else 'DIFFERS'}")
        return 0 if same else 1
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8", newline="\n")
    print(f"wrote {out.relative_to(ROOT)} ({summary}, {len(text.encode())} bytes)")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="regenerate in memory and fail if the files on disk differ")
    args = parser.parse_args()

    torch.set_num_threads(1)
    self_check_generator()
    check_nadam_transcription()

    status = 0
    for opt_name in CASES:
        path = OUT_DIR / f"{opt_name}.json"
        text = render(opt_name)
        if args.check:
            same = path.exists() and path.read_text(encoding="utf-8") == text
            print(f"{path.relative_to(ROOT)}: {'ok' if same else 'DIFFERS'}")
            status |= 0 if same else 1
        else:
            OUT_DIR.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="\n")
            print(f"wrote {path.relative_to(ROOT)} ({len(CASES[opt_name])} cases, "
                  f"{len(text.encode())} bytes)")
    print("mix(seed=1, step=1, param=0, i=0..4) =", ", ".join(f32_str(v) for v in sample_values()))
    return status


if __name__ == "__main__":
    sys.exit(main())
