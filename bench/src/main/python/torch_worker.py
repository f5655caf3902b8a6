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


def make_optimizer(name, params, foreach):
    if name == "sgd-momentum":
        return torch.optim.SGD(params, lr=0.01, momentum=0.9, foreach=foreach)
    if name == "adam":
        return torch.optim.Adam(params, lr=1e-3, foreach=foreach)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=1e-3, weight_decay=0.01, foreach=foreach)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=1e-2, foreach=foreach)
    if name == "adagrad":
        return torch.optim.Adagrad(params, lr=1e-2, foreach=foreach)
    if name == "radam":
        return torch.optim.RAdam(params, lr=1e-3, foreach=foreach)
    if name == "nadam":
        return torch.optim.NAdam(params, lr=2e-3, foreach=foreach)
    if name == "adadelta":
        return torch.optim.Adadelta(params, lr=1.0, foreach=foreach)
    if name == "adamax":
        return torch.optim.Adamax(params, lr=2e-3, foreach=foreach)
    if name == "asgd":
        return torch.optim.ASGD(params, lr=1e-2, foreach=foreach)
    if name == "rprop":
        return torch.optim.Rprop(params, lr=1e-2, foreach=foreach)
    raise ValueError("unknown optimizer " + name)


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
