#!/usr/bin/env python3
"""Generate reference values for stochastic weight averaging (torch.optim.swa_utils, 1.13).

Each training case runs the loop of swa_utils' documentation, with the schedules stepped once per
optimizer step (as Anneal's schedules count) and the average taken every E-th step:

    model = Linear (no bias) -> BatchNorm1d -> ReLU -> Linear     (weights, data written into the file)
    swa_model = AveragedModel(model)                     (default avg_fn: equal weights)
    scheduler = constant lr, or StepLR;  swa_scheduler = SWALR(optimizer, swa_lr, ...)
    for step s = 1..steps, batch b = the next of the fixed, unshuffled batches:
        record lr; loss = mean((model(x_b) - y_b)^2); backward; record grads; optimizer.step()
        if s >= start and (s - start) % every == 0: swa_model.update_parameters(model); record it
        (swa_scheduler if s >= start else scheduler).step()
    update_bn(batches, swa_model); record its running mean and variance

and records, in float32, the lr of every step, the gradients torch computed, the weights after
every step, the averaged parameters after every averaging and the batch-norm statistics
update_bn leaves. Besides, update_bn runs on batch-norm layers fed the data directly (BatchNorm1d
on (N, C) and (N, C, L), BatchNorm2d on (N, C, H, W), batches of unequal size), so that its
cumulative average is checked where nothing but batch norm touches the data; the script checks
that its rounding, written out in cumulative(), gives PyTorch's values bit for bit, and that
these cases tell it from a variance summed in float32.

Run from the repository root with Debian's python3-torch (1.13):

    /usr/bin/python3 tools/golden/swa.py          # (re)write engine/src/test/resources/golden/swa.json
    /usr/bin/python3 tools/golden/swa.py --check  # fail if the file would change
"""

import sys
from pathlib import Path

import numpy as np
import torch
from torch.optim.swa_utils import SWALR, AveragedModel, update_bn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import F32, dump, write_or_check  # noqa: E402  (the fixtures' float32 and JSON conventions)

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "engine" / "src" / "test" / "resources" / "golden" / "swa.json"
GENERATOR = "tools/golden/swa.py"

# Parameter names as torch's state_dict has them, in model.parameters() order.
PARAMS = ["fc1.weight", "bn.weight", "bn.bias", "fc2.weight", "fc2.bias"]

CASES = [
    dict(name="sgd-momentum-constant-then-swalr-cos-once-per-epoch", seed=11,
         optimizer="sgd", options={"lr": 0.05, "momentum": 0.9, "weightDecay": 1e-4},
         before=None, n=32, batch=8, width=(4, 8, 3), epochs=8,
         swa=dict(start=8, every=4, swaLr=0.01, annealEpochs=4, annealStrategy="cos")),
    dict(name="adam-steplr-then-swalr-linear-every-3rd-step", seed=12,
         optimizer="adam", options={"lr": 0.01},
         before={"stepSize": 4, "gamma": 0.5}, n=30, batch=10, width=(5, 6, 2), epochs=10,
         swa=dict(start=10, every=3, swaLr=0.001, annealEpochs=6, annealStrategy="linear")),
    dict(name="sgd-nesterov-every-step-from-the-first-partial-last-batch", seed=13,
         optimizer="sgd", options={"lr": 0.1, "momentum": 0.5, "nesterov": True},
         before=None, n=28, batch=8, width=(3, 4, 2), epochs=5,
         swa=dict(start=1, every=1, swaLr=0.05, annealEpochs=1, annealStrategy="cos")),
]

# update_bn on batch norm fed the data directly: layer, channel count, the shape of one example.
BN_CASES = [
    dict(name="batchnorm1d-2d-input", seed=21, layer="BatchNorm1d", channels=16, example=(16,), sizes=[8] * 7 + [5]),
    dict(name="batchnorm1d-3d-input", seed=22, layer="BatchNorm1d", channels=12, example=(12, 7), sizes=[4] * 9 + [2]),
    dict(name="batchnorm2d", seed=23, layer="BatchNorm2d", channels=12, example=(12, 3, 5), sizes=[6] * 9 + [5]),
    dict(name="batchnorm1d-one-batch", seed=24, layer="BatchNorm1d", channels=6, example=(6,), sizes=[16]),
]


def cumulative(batches, variance_in_float):
    """update_bn's cumulative average as PyTorch's CPU kernel rounds it, from each batch's own statistics
    (batch_norm with momentum 1): f = float32(1 / k); mean = f * b + (1 - f) * mean in float32; the
    variance's sum in double, f * b + float32((1 - f) * var), unless variance_in_float (a plausible
    mistake, which the cases must tell apart)."""
    channels = batches[0].shape[1]
    mean, var = np.zeros(channels, np.float32), np.ones(channels, np.float32)
    for k, x in enumerate(batches, 1):
        b_mean, b_var = torch.zeros(channels), torch.zeros(channels)
        torch.nn.functional.batch_norm(x, b_mean, b_var, None, None, True, 1.0, 1e-5)
        f = np.float32(1.0 / k)
        g = np.float32(1) - f
        mean = (f * b_mean.numpy() + g * mean).astype(np.float32)
        if variance_in_float:
            var = (f * b_var.numpy() + g * var).astype(np.float32)
        else:
            var = (np.float64(f) * b_var.numpy().astype(np.float64) + (g * var).astype(np.float64)).astype(np.float32)
    return mean, var


class Net(torch.nn.Module):
    def __init__(self, width):
        super().__init__()
        n_in, hidden, n_out = width
        # No bias before batch norm, as usual: its gradient would be zero but for rounding, which
        # Adam's normalised step turns into steps of the learning rate's size.
        self.fc1 = torch.nn.Linear(n_in, hidden, bias=False)
        self.bn = torch.nn.BatchNorm1d(hidden)
        self.fc2 = torch.nn.Linear(hidden, n_out)

    def forward(self, x):
        return self.fc2(torch.relu(self.bn(self.fc1(x))))


def flat(t):
    values = t.detach().clone().reshape(-1).numpy()
    assert values.dtype == np.float32 and np.all(np.isfinite(values))
    return values


def run(spec):
    g = torch.Generator().manual_seed(spec["seed"])
    n_in, hidden, n_out = spec["width"]
    model = Net(spec["width"])
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.rand(p.shape, generator=g) * 2 - 1)  # gamma and beta too, away from 1 and 0
    x = torch.randn(spec["n"], n_in, generator=g)
    y = torch.randn(spec["n"], n_out, generator=g)
    batches = [(x[i:i + spec["batch"]], y[i:i + spec["batch"]]) for i in range(0, spec["n"], spec["batch"])]
    init = {name: flat(p) for name, p in zip(PARAMS, model.parameters())}

    o = spec["options"]
    if spec["optimizer"] == "sgd":
        optimizer = torch.optim.SGD(model.parameters(), lr=o["lr"], momentum=o.get("momentum", 0.0),
                                    weight_decay=o.get("weightDecay", 0.0), nesterov=o.get("nesterov", False),
                                    foreach=False)
    else:
        optimizer = torch.optim.Adam(model.parameters(), lr=o["lr"], foreach=False)
    swa_model = AveragedModel(model)
    before = (torch.optim.lr_scheduler.StepLR(optimizer, spec["before"]["stepSize"], spec["before"]["gamma"])
              if spec["before"] else None)
    s = spec["swa"]
    swa_scheduler = SWALR(optimizer, swa_lr=s["swaLr"], anneal_epochs=s["annealEpochs"],
                          anneal_strategy=s["annealStrategy"])

    steps = spec["epochs"] * len(batches)
    lrs, losses = [], []
    grads = {name: [] for name in PARAMS}
    trajectory = {name: [] for name in PARAMS}
    averaged = []
    model.train()
    for step in range(1, steps + 1):
        xb, yb = batches[(step - 1) % len(batches)]
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.zero_grad()
        d = model(xb) - yb
        loss = (d * d).mean()
        loss.backward()
        losses.append(loss.item())
        for name, p in zip(PARAMS, model.parameters()):
            grads[name].append(flat(p.grad))
        optimizer.step()
        for name, p in zip(PARAMS, model.parameters()):
            trajectory[name].append(flat(p))
        if step >= s["start"] and (step - s["start"]) % s["every"] == 0:
            swa_model.update_parameters(model)
            averaged.append({"step": step, "n_averaged": int(swa_model.n_averaged.item()),
                             "params": {name: F32(flat(p)) for name, p in zip(PARAMS, swa_model.module.parameters())}})
        if step >= s["start"]:
            swa_scheduler.step()
        elif before is not None:
            before.step()
    update_bn([xb for xb, _ in batches], swa_model)
    return {
        "name": spec["name"],
        "optimizer": spec["optimizer"],
        "options": o,
        "before": spec["before"],
        "swa": s,
        "width": list(spec["width"]),
        "batch_size": spec["batch"],
        "steps": steps,
        "eps": model.bn.eps,
        "x": F32(flat(x)),
        "y": F32(flat(y)),
        "init": {name: F32(v) for name, v in init.items()},
        "lr": lrs,
        "loss": F32(np.array(losses, dtype=np.float32)),
        "grads": {name: [F32(row) for row in rows] for name, rows in grads.items()},
        "trajectory": {name: [F32(row) for row in rows] for name, rows in trajectory.items()},
        "averaged": averaged,
        "update_bn": {"running_mean": F32(flat(swa_model.module.bn.running_mean)),
                      "running_var": F32(flat(swa_model.module.bn.running_var))},
    }


def run_bn(spec):
    g = torch.Generator().manual_seed(spec["seed"])
    layer = getattr(torch.nn, spec["layer"])(spec["channels"])
    batches = [torch.randn(size, *spec["example"], generator=g) * 3 + 1 for size in spec["sizes"]]
    update_bn(batches, layer)
    mean, var = cumulative(batches, variance_in_float=False)
    assert np.array_equal(mean.view(np.uint32), flat(layer.running_mean).view(np.uint32)), spec["name"]
    assert np.array_equal(var.view(np.uint32), flat(layer.running_var).view(np.uint32)), spec["name"]
    if len(spec["sizes"]) > 1:
        _, float_var = cumulative(batches, variance_in_float=True)
        assert not np.array_equal(float_var, var), f"{spec['name']} cannot tell the variance's double sum from a float one"
    return {
        "name": spec["name"],
        "layer": spec["layer"],
        "channels": spec["channels"],
        "example": list(spec["example"]),
        "sizes": spec["sizes"],
        "eps": layer.eps,
        "x": F32(np.concatenate([flat(b) for b in batches])),
        "running_mean": F32(flat(layer.running_mean)),
        "running_var": F32(flat(layer.running_var)),
    }


def render():
    doc = {
        "generator": GENERATOR,
        "reference": f"torch {torch.__version__} (torch.optim.swa_utils.AveragedModel, SWALR and update_bn; "
                     "torch.optim.SGD or Adam, foreach=False; StepLR before SWALR where 'before' is given)",
        "torch_version": torch.__version__,
        "semantics": "lr[k-1], loss[k-1], grads[p][k-1] and trajectory[p][k-1] belong to optimizer step k; "
                     "each entry of 'averaged' holds swa_model's parameters right after update_parameters at "
                     "its step; update_bn ran over the unshuffled batches after the last step",
        "model": "Linear(width[0], width[1], bias=False) -> BatchNorm1d(width[1]) -> ReLU -> Linear(width[1], width[2]); "
                 "loss mean((out - y)^2) over batches of batch_size rows of x, y in order (the last may be "
                 "smaller), the batches repeated for every epoch",
        "params": PARAMS,
        "cases": [run(spec) for spec in CASES],
        "update_bn_cases": [run_bn(spec) for spec in BN_CASES],
    }
    return dump(doc) + "\n"


def main():
    return write_or_check(__doc__, OUT, render, f"{len(CASES)} training cases, {len(BN_CASES)} update_bn cases")


if __name__ == "__main__":
    sys.exit(main())
