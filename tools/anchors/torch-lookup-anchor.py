"""BLAS anchor for `pnpm bench lookup` and `pnpm bench webgpu-device`: PyTorch's exact-search formula, timed.

The benchmark starts this script once and talks to it over stdin/stdout, one JSON object per line, so that
the anchor and the TypeScript backends are timed alternately in the same run (machine noise falls on both):

  {"cell": [B, N, D], "seed": S}        ->  {"ready": true, "device": "cpu"}
      standard normal keys and queries, float32; key norms cached. Optional "device": "cuda" puts them on the
      GPU (the reply names it, e.g. "NVIDIA H200"); the CPU runs one thread either way.
  {"time": true}                        ->  {"ms": 12.3}
      one `addmm(‖k‖², Q, Kᵀ, α = -2)` + `argmin`, in ms. On the GPU the clock starts after a synchronize and
      stops once the B indices are on the host, as a WebGPU backend's timing includes its read-back.
  {"time": true, "calls": K}            ->  {"ms": 1.2}
      K searches queued back to back, one wait at the end; the mean per search (the device's throughput
      rather than one call's latency). On the CPU the same as K single calls.

It is the formula a PyTorch user writes for nearest-key search with cached norms (`‖q‖²` is constant per row
and does not change the argmin), in plain float32 (TF32 off). Needs torch, and CUDA for "device": "cuda".
"""

import json
import sys
import time

import torch


def search(queries, keys, key_norms):
    scores = torch.addmm(key_norms, queries, keys.t(), beta=1.0, alpha=-2.0)
    return scores.argmin(dim=1)


def timed(queries, keys, key_norms, calls):
    on_gpu = queries.is_cuda
    if on_gpu:
        torch.cuda.synchronize()
    started = time.perf_counter()
    for _ in range(calls):
        index = search(queries, keys, key_norms)
    if on_gpu:
        index.cpu()
    return (time.perf_counter() - started) * 1000 / calls


def main() -> None:
    torch.set_num_threads(1)
    if torch.cuda.is_available():
        torch.backends.cuda.matmul.allow_tf32 = False
    keys = queries = key_norms = None
    for line in sys.stdin:
        request = json.loads(line)
        try:
            if "cell" in request:
                batch, key_count, width = request["cell"]
                device = torch.device(request.get("device", "cpu"))
                generator = torch.Generator().manual_seed(int(request.get("seed", 0)))
                keys = torch.randn(key_count, width, generator=generator).to(device)
                queries = torch.randn(batch, width, generator=generator).to(device)
                key_norms = (keys * keys).sum(dim=1).unsqueeze(0)
                name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
                reply = {"ready": True, "device": name}
            elif "time" in request:
                reply = {"ms": timed(queries, keys, key_norms, int(request.get("calls", 1)))}
            else:
                reply = {"error": f"unknown request {sorted(request)}"}
        except (RuntimeError, AssertionError) as error:
            reply = {"error": str(error).strip().split("\n")[0]}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
