"""One-thread BLAS anchor for `pnpm bench lookup`: PyTorch's exact-search formula, timed call by call.

The benchmark starts this script once and talks to it over stdin/stdout, one JSON object per line, so that
the anchor and the TypeScript backends are timed alternately in the same run (machine noise falls on both):

  {"cell": [B, N, D], "seed": S}  ->  {"ready": true}     standard normal keys and queries; key norms cached
  {"time": true}                  ->  {"ms": 12.3}        one `addmm(‖k‖², Q, Kᵀ, α = -2)` + `argmin`, in ms

It is the formula a PyTorch user writes for nearest-key search with cached norms (`‖q‖²` is constant per row
and does not change the argmin); torch runs one thread, as the TypeScript search does. Needs torch.
"""

import json
import sys
import time

import torch


def main() -> None:
    torch.set_num_threads(1)
    keys = queries = key_norms = None
    for line in sys.stdin:
        request = json.loads(line)
        if "cell" in request:
            batch, key_count, width = request["cell"]
            generator = torch.Generator().manual_seed(int(request.get("seed", 0)))
            keys = torch.randn(key_count, width, generator=generator)
            queries = torch.randn(batch, width, generator=generator)
            key_norms = (keys * keys).sum(dim=1).unsqueeze(0)
            reply = {"ready": True}
        elif "time" in request:
            started = time.perf_counter()
            scores = torch.addmm(key_norms, queries, keys.t(), beta=1.0, alpha=-2.0)
            scores.argmin(dim=1)
            reply = {"ms": (time.perf_counter() - started) * 1000}
        else:
            reply = {"error": f"unknown request {sorted(request)}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
