"""Times torch.optim steps for Anneal's benchmark (bench/, ./anneal bench).

Reads one JSON command per line on stdin and answers one JSON line on stdout:
  {"cmd": "version"} -> {"torch": version, "threads": n}
  {"cmd": "setup", "optimizer": "adam", "layout": [count, size], "foreach": true} -> {"ok": true}
  {"cmd": "step"} -> {"ms": time of one optimizer.step()}
  {"cmd": "quit"}
Each setup replaces the previous tensors. Gradients are set once and kept, as on the JVM side.
"""
import json
import sys
import time

import torch


# Each optimizer's class and settings, the same as Anneal's Kind gives them.
OPTIMIZERS = {
    "sgd-momentum": (torch.optim.SGD, dict(lr=0.01, momentum=0.9)),
    "adam": (torch.optim.Adam, dict(lr=1e-3)),
    "adamw": (torch.optim.AdamW, dict(lr=1e-3, weight_decay=0.01)),
    "rmsprop": (torch.optim.RMSprop, dict(lr=1e-2)),
    "adagrad": (torch.optim.Adagrad, dict(lr=1e-2)),
    "radam": (torch.optim.RAdam, dict(lr=1e-3)),
    "nadam": (torch.optim.NAdam, dict(lr=2e-3)),
    "adadelta": (torch.optim.Adadelta, dict(lr=1.0)),
    "adamax": (torch.optim.Adamax, dict(lr=2e-3)),
    "asgd": (torch.optim.ASGD, dict(lr=1e-2)),
    "rprop": (torch.optim.Rprop, dict(lr=1e-2)),
}


def make_optimizer(name, params, foreach):
    if name not in OPTIMIZERS:
        raise ValueError("unknown optimizer " + name)
    optimizer, settings = OPTIMIZERS[name]
    return optimizer(params, foreach=foreach, **settings)


def main():
    torch.manual_seed(0)
    optimizer = None
    for line in sys.stdin:
        command = json.loads(line)
        if command["cmd"] == "version":
            reply = {"torch": torch.__version__, "threads": torch.get_num_threads()}
        elif command["cmd"] == "setup":
            optimizer = None  # free the last layout's tensors before making the next
            count, size = command["layout"]
            params = []
            for _ in range(count):
                p = torch.randn(size, requires_grad=True)
                p.grad = torch.randn(size) * 1e-3
                params.append(p)
            optimizer = make_optimizer(command["optimizer"], params, command["foreach"])
            reply = {"ok": True}
        elif command["cmd"] == "step":
            start = time.perf_counter()
            optimizer.step()
            reply = {"ms": (time.perf_counter() - start) * 1000.0}
        elif command["cmd"] == "quit":
            return
        else:
            reply = {"error": "unknown command " + command["cmd"]}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
