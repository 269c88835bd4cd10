"""PyTorch anchor for `pnpm bench edit`: one-thread PyTorch training a GRACE value through the same suffix.

Reads a JSON request on stdin:
  {"iterations": 100, "edits": 5, "warmUp": 1, "seed": 11,
   "workloads": [{"name": "wide", "inputWidth": 768, "classes": 10, "loss": "softmax-cross-entropy",
                  "layers": [{"kind": "dense", "units": 768}, {"kind": "gelu"}, ...]}]}
Layer 0 is the edited layer; the suffix is every layer after it plus the loss. Each edit trains a fresh value
[1, Dv] (uniform in [0, 1)) by Adam, learning rate 1.0, for `iterations` steps with every weight frozen — what a
GRACE edit spends its time on. Writes {"torch": version, "threads": 1, "workloads": {name: {"medianMs", "runs"}}}
to stdout, the median over `edits` edits after `warmUp` untimed edits (default 1). Needs torch; product code never runs this.
"""

import json
import statistics
import sys
import time

import torch
import torch.nn.functional as functional


def build_suffix(workload, generator):
    """The frozen suffix as a list of callables, and the value width Dv (the edited layer's output width)."""
    layers = workload["layers"]
    width = layers[0]["units"]
    value_width = width
    steps = []
    for layer in layers[1:]:
        kind = layer["kind"]
        if kind == "dense":
            weight = torch.randn(width, layer["units"], generator=generator) / width**0.5
            bias = torch.zeros(layer["units"])
            steps.append(lambda x, w=weight, b=bias: torch.addmm(b, x, w))
            width = layer["units"]
        elif kind == "layer-norm":
            steps.append(lambda x, n=width: functional.layer_norm(x, [n], eps=1e-5))
        else:
            steps.append({"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "gelu": functional.gelu}[kind])
    return steps, value_width


def loss_of(workload, logits, target):
    if workload["loss"] == "softmax-cross-entropy":
        return functional.cross_entropy(logits, target)
    return functional.binary_cross_entropy_with_logits(logits, target)


def time_workload(workload, iterations, edits, warm_up, seed):
    generator = torch.Generator().manual_seed(seed)
    steps, value_width = build_suffix(workload, generator)
    samples = []
    for edit in range(1 - warm_up, edits + 1):
        if workload["loss"] == "softmax-cross-entropy":
            target = torch.tensor([edit % workload["classes"]])
        else:
            target = torch.tensor([[float(edit % 2)]])
        started = time.perf_counter()
        value = torch.rand(1, value_width, generator=generator).requires_grad_(True)
        optimizer = torch.optim.Adam([value], lr=1.0)
        for _ in range(iterations):
            optimizer.zero_grad()
            activation = value
            for step in steps:
                activation = step(activation)
            loss_of(workload, activation, target).backward()
            optimizer.step()
        elapsed = (time.perf_counter() - started) * 1000
        if edit > 0:
            samples.append(elapsed)
    return {"medianMs": statistics.median(samples), "runs": len(samples)}


def main():
    request = json.load(sys.stdin)
    torch.set_num_threads(1)
    results = {
        workload["name"]: time_workload(
            workload, request["iterations"], request["edits"], request.get("warmUp", 1), request["seed"]
        )
        for workload in request["workloads"]
    }
    json.dump({"torch": torch.__version__, "threads": torch.get_num_threads(), "workloads": results}, sys.stdout)


if __name__ == "__main__":
    main()
