#!/usr/bin/env python3
"""Generate reference values for L-BFGS (torch.optim.LBFGS, 1.13) on Rosenbrock's function.

Each case minimises a chained Rosenbrock function of one or more float32 parameters, taken
together as one flat vector z (torch's order: parameters in turn, each row-major):

    f(z) = sum over pairs i of  (1 - z[2i])^2 + 100 (z[2i+1] - z[2i]^2)^2

with LBFGS's options, calling optimizer.step(closure) `steps` times, and records after every
step the loss step() returned (the first evaluation's), the parameters, and the state's
func_evals and n_iter. The closure computes the loss and the gradient in float32, one rounding
per operation and no fused multiply-add, in exactly this order, so that a Java closure written
the same way gives the same bits (Java's float arithmetic is IEEE single precision):

    for each pair (u, v), in order:
        a = 1 - u;  b = v - u * u
        f = f + (a * a + 100 * (b * b))           (f starts at 0)
        du = -2 * a - 400 * (u * b);  dv = 200 * b

The plain Rosenbrock function is the one-pair case, a single parameter of shape [2]. Cases marked
float64 run in float64 throughout (parameters, closure), from the same float32 starting values.

Run from the repository root with Debian's python3-torch (1.13):

    /usr/bin/python3 tools/golden/lbfgs.py          # (re)write engine/src/test/resources/golden/lbfgs.json
    /usr/bin/python3 tools/golden/lbfgs.py --check  # fail if the file would change
"""

import inspect
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import F32, dump, write_or_check  # noqa: E402  (the fixtures' float32 and JSON conventions)

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "engine" / "src" / "test" / "resources" / "golden" / "lbfgs.json"
GENERATOR = "tools/golden/lbfgs.py"

# Anneal's names for torch's options; absent ones keep torch's defaults.
TORCH_NAMES = {"lr": "lr", "maxIter": "max_iter", "maxEval": "max_eval", "toleranceGrad": "tolerance_grad",
               "toleranceChange": "tolerance_change", "historySize": "history_size"}

ROSENBROCK = [("x", [2], [-1.5, 2.0])]
FAR = [("x", [2], [-3.0, -4.0])]
CHAINED = [("a", [3], [-1.2, 1.0, 0.5]), ("b", [2, 2], [0.0, -0.5, 1.5, 2.0]), ("c", [], [-0.8])]
# 64 values, so that sums and dot products run over more than one vector register.
WIDE = [("w", [2, 4, 4], [round(-1.5 + 0.09 * k, 2) for k in range(32)]),
        ("v", [32], [round(1.4 - 0.07 * k, 2) for k in range(32)])]

CASES = [
    dict(name="rosenbrock-strong-wolfe-defaults", params=ROSENBROCK, steps=4, options={"strongWolfe": True}),
    dict(name="rosenbrock-strong-wolfe-one-iteration-per-step", params=ROSENBROCK, steps=60,
         options={"strongWolfe": True, "maxIter": 1}),
    dict(name="rosenbrock-strong-wolfe-history-3-wraps", params=FAR, steps=40,
         options={"strongWolfe": True, "maxIter": 2, "historySize": 3}),
    dict(name="rosenbrock-strong-wolfe-lr-0.5-max-eval-4", params=ROSENBROCK, steps=30,
         options={"strongWolfe": True, "lr": 0.5, "maxIter": 6, "maxEval": 4}),
    dict(name="rosenbrock-fixed-step-lr-0.05", params=ROSENBROCK, steps=40, options={"lr": 0.05, "maxIter": 5}),
    dict(name="rosenbrock-fixed-step-history-2-tolerance-change-1e-4", params=ROSENBROCK, steps=40,
         options={"lr": 0.02, "maxIter": 8, "historySize": 2, "toleranceChange": 1e-4}),
    dict(name="rosenbrock-strong-wolfe-tolerance-grad-1e-2", params=ROSENBROCK, steps=30,
         options={"strongWolfe": True, "toleranceGrad": 1e-2, "maxIter": 3}),
    dict(name="chained-strong-wolfe", params=CHAINED, steps=30, options={"strongWolfe": True, "maxIter": 3}),
    dict(name="chained-strong-wolfe-history-4", params=CHAINED, steps=30,
         options={"strongWolfe": True, "maxIter": 5, "historySize": 4}),
    dict(name="chained-fixed-step-lr-0.01", params=CHAINED, steps=30, options={"lr": 0.01, "maxIter": 4}),
    dict(name="wide-strong-wolfe-history-10", params=WIDE, steps=30,
         options={"strongWolfe": True, "maxIter": 4, "historySize": 10}),
    dict(name="wide-fixed-step-lr-0.002", params=WIDE, steps=30, options={"lr": 0.002, "maxIter": 6}),
    # Large rates make the line search bracket and zoom (4 to 7 evaluations a search).
    dict(name="rosenbrock-strong-wolfe-lr-30-zooms", params=FAR, steps=20, options={"strongWolfe": True, "lr": 30, "maxIter": 3}),
    dict(name="wide-strong-wolfe-lr-100-zooms", params=WIDE, steps=20,
         options={"strongWolfe": True, "lr": 100, "maxIter": 3, "historySize": 5}),
    dict(name="rosenbrock-fixed-step-tolerance-change-1e-2-ends-early", params=ROSENBROCK, steps=30,
         options={"lr": 0.05, "toleranceChange": 1e-2}),
    dict(name="float64-rosenbrock-strong-wolfe", params=ROSENBROCK, steps=30, dtype="float64",
         options={"strongWolfe": True, "maxIter": 2}),
    dict(name="float64-chained-fixed-step-lr-0.01", params=CHAINED, steps=30, dtype="float64",
         options={"lr": 0.01, "maxIter": 4}),
]


def rosenbrock(z):
    """The loss and gradient of the chained function, in z's type as the module's doc writes it out."""
    one, two, hundred, two_hundred, four_hundred = (z.dtype.type(c) for c in (1, 2, 100, 200, 400))
    f = z.dtype.type(0)
    grad = np.zeros_like(z)
    for i in range(0, len(z), 2):
        u, v = z[i], z[i + 1]
        a = one - u
        b = v - u * u
        f = f + (a * a + hundred * (b * b))
        grad[i] = -two * a - four_hundred * (u * b)
        grad[i + 1] = two_hundred * b
    return f, grad


def run(spec):
    dtype = np.dtype(spec.get("dtype", "float32"))
    # float64 values as the fixture writes them: a float32 start, widened.
    params = [torch.tensor(np.array(start, dtype=np.float32).astype(dtype).reshape(shape))
              for _, shape, start in spec["params"]]
    values = F32 if dtype == np.float32 else (lambda v: [float(x) for x in v])
    options = spec["options"]
    kwargs = {TORCH_NAMES[k]: v for k, v in options.items() if k in TORCH_NAMES}
    if options.get("strongWolfe"):
        kwargs["line_search_fn"] = "strong_wolfe"
    optimizer = torch.optim.LBFGS(params, **kwargs)

    def closure():
        optimizer.zero_grad()
        z = np.concatenate([p.detach().numpy().reshape(-1) for p in params])
        f, grad = rosenbrock(z)
        offset = 0
        for p in params:
            n = p.numel()
            p.grad = torch.tensor(grad[offset:offset + n].reshape(p.shape))
            offset += n
        return torch.tensor(f)

    steps = []
    with np.errstate(over="raise", invalid="raise"):
        for _ in range(spec["steps"]):
            loss = optimizer.step(closure)
            state = optimizer.state[params[0]]
            steps.append({"loss": values([float(loss)]),
                          "params": {name: values(p.detach().numpy().reshape(-1).tolist())
                                     for (name, _, _), p in zip(spec["params"], params)},
                          "funcEvals": state["func_evals"], "nIter": state["n_iter"]})
    return {"name": spec["name"], "dtype": dtype.name,
            "params": {name: {"shape": shape, "init": F32(start)} for name, shape, start in spec["params"]},
            "options": options, "steps": steps}


def torch_defaults():
    """LBFGS's defaults under Anneal's names: maxEval's None (maxIter * 5 // 4) is Anneal's 0, line_search_fn's None strongWolfe off."""
    signature = inspect.signature(torch.optim.LBFGS).parameters
    defaults = {ours: signature[theirs].default for ours, theirs in TORCH_NAMES.items()}
    assert defaults["maxEval"] is None and signature["line_search_fn"].default is None
    defaults["maxEval"] = 0
    defaults["strongWolfe"] = False
    return defaults


def render():
    cases = [run(spec) for spec in CASES]
    return dump({"generator": GENERATOR, "torch": torch.__version__,
                 "reference": "torch.optim.LBFGS with step(closure); the closure as " + GENERATOR + " writes it out",
                 "torchDefaults": torch_defaults(), "cases": cases}) + "\n"


if __name__ == "__main__":
    sys.exit(write_or_check(__doc__, OUT, render, f"{len(CASES)} cases"))
