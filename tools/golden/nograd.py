#!/usr/bin/env python3
"""Generate reference values for parameters that get no gradient (torch.optim, 1.13).

A parameter the forward pass does not use gets no gradient from backward. What the optimizer
does with it depends on how the gradients were cleared: zero_grad(set_to_none=True), PyTorch
2.x's default, leaves grad None and torch.optim skips the parameter (its momentum, weight decay
and step count stand still); zero_grad(set_to_none=False), torch 1.13's default, leaves a zero
gradient where one was defined, and the parameter is updated with it, while one never defined
stays None and is skipped. Each case runs, for both settings:

    for step t = 1..steps:
        optimizer.zero_grad(set_to_none=...)
        loss = sum over the parameters used at t of sum(w * g_t)       (so w.grad = g_t)
        loss.backward(); optimizer.step(); record every parameter

with the gradients and the steps at which each parameter is unused written into the file.

Run from the repository root with Debian's python3-torch (1.13):

    /usr/bin/python3 tools/golden/nograd.py          # (re)write engine/src/test/resources/golden/nograd.json
    /usr/bin/python3 tools/golden/nograd.py --check  # fail if the file would change
"""

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import F32, dump, write_or_check  # noqa: E402  (the fixtures' float32 and JSON conventions)

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "engine" / "src" / "test" / "resources" / "golden" / "nograd.json"
GENERATOR = "tools/golden/nograd.py"

STEPS = 14
# name, shape, steps at which the forward pass does not use it. "late" is unused from the start,
# so its gradient is not even defined until step 5; "head" drops out after it had gradients.
PARAMS = [
    ("body.weight", (3, 4), []),
    ("head.weight", (2, 3), [4, 5, 6, 7, 11]),
    ("late.bias", (5,), [1, 2, 3, 4, 9]),
]

CASES = [
    dict(name="sgd-momentum-l2", optimizer="sgd", torch=dict(lr=0.1, momentum=0.9, weight_decay=0.05),
         options={"lr": 0.1, "momentum": 0.9, "weightDecay": 0.05}),
    dict(name="adam-l2-amsgrad", optimizer="adam", torch=dict(lr=0.01, weight_decay=0.1, amsgrad=True),
         options={"lr": 0.01, "weightDecay": 0.1, "amsgrad": True}),
    dict(name="adamw", optimizer="adamw", torch=dict(lr=0.01, weight_decay=0.2),
         options={"lr": 0.01, "weightDecay": 0.2}),
]

OPTIMIZERS = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}


def run(spec, set_to_none, init, grads):
    params = [torch.nn.Parameter(init[name].clone()) for name, _, _ in PARAMS]
    optimizer = OPTIMIZERS[spec["optimizer"]](params, **spec["torch"])
    trajectory = {name: [] for name, _, _ in PARAMS}
    for t in range(1, STEPS + 1):
        optimizer.zero_grad(set_to_none=set_to_none)
        terms = [(p * grads[name][t - 1]).sum() for p, (name, _, unused) in zip(params, PARAMS) if t not in unused]
        torch.stack(terms).sum().backward()
        optimizer.step()
        for p, (name, _, _) in zip(params, PARAMS):
            trajectory[name].append(F32(p.detach().clone()))  # a copy: F32 would view the live tensor
    return trajectory


def render():
    g = torch.Generator().manual_seed(31)
    init = {name: torch.rand(shape, generator=g) * 2 - 1 for name, shape, _ in PARAMS}
    grads = {name: [torch.randn(shape, generator=g) for _ in range(STEPS)] for name, shape, _ in PARAMS}
    doc = {
        "generator": GENERATOR,
        "reference": f"torch {torch.__version__} (torch.optim.SGD, Adam and AdamW after zero_grad(set_to_none=...))",
        "steps": STEPS,
        "params": [{"name": name, "shape": list(shape), "unused": unused, "init": F32(init[name]),
                    "grads": [F32(x) for x in grads[name]]} for name, shape, unused in PARAMS],
        "cases": [dict(name=spec["name"], optimizer=spec["optimizer"], options=spec["options"],
                       setToNone=run(spec, True, init, grads), zero=run(spec, False, init, grads))
                  for spec in CASES],
    }
    return dump(doc) + "\n"


def main():
    return write_or_check(__doc__, OUT, render, f"{len(CASES)} cases")


if __name__ == "__main__":
    sys.exit(main())
