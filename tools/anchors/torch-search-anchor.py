"""PyTorch anchor for `pnpm bench search-study`: one-thread exact nearest-key search as BLAS does it.

Reads {"sizes": [10000, 100000], "dimension": 768, "batch": 32, "runs": 5, "seed": 3} on stdin. For each N,
random keys [N, D] and queries [B, D]; the key norms are cached (computed once, as a codebook would keep them);
each run is `argmin(|k|² - 2 q·kᵀ)` through `torch.addmm` + `argmin`. Writes {"torch": version, "results": {N:
{"medianMs", "runs"}}} to stdout. Needs torch; product code never runs this.
"""

import json
import statistics
import sys
import time

import torch


def main():
    request = json.load(sys.stdin)
    torch.set_num_threads(1)
    generator = torch.Generator().manual_seed(request["seed"])
    results = {}
    for size in request["sizes"]:
        keys = torch.rand(size, request["dimension"], generator=generator) * 2 - 1
        queries = torch.rand(request["batch"], request["dimension"], generator=generator) * 2 - 1
        norms = (keys * keys).sum(dim=1).unsqueeze(0)
        keys_transposed = keys.t().contiguous()
        samples = []
        for run in range(request["runs"] + 1):
            started = time.perf_counter()
            scores = torch.addmm(norms, queries, keys_transposed, beta=1.0, alpha=-2.0)
            index = scores.argmin(dim=1)
            elapsed = (time.perf_counter() - started) * 1000
            if run > 0:
                samples.append(elapsed)
        del index
        results[str(size)] = {"medianMs": statistics.median(samples), "runs": len(samples)}
    json.dump({"torch": torch.__version__, "results": results}, sys.stdout)


if __name__ == "__main__":
    main()
