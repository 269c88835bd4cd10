"""BLAS anchor for `pnpm bench lookup` and `pnpm bench webgpu-device`: PyTorch's exact-search formula, timed.

It speaks the line protocol of search_anchor_protocol.py. The search is one `addmm(‖k‖², Q, Kᵀ, α = -2)` +
`argmin`: the formula a PyTorch user writes for nearest-key search with cached norms (`‖q‖²` is constant per row
and does not change the argmin), in plain float32 (TF32 off). A cell's "device" may be "cuda": the tensors go to
the GPU (the reply names it, e.g. "NVIDIA H200"), the clock starts after a synchronize and stops once the B
indices are on the host, as a WebGPU backend's timing includes its read-back; K calls queued back to back then
measure the device's throughput rather than one call's latency. The CPU runs one thread either way. Needs
torch, and CUDA for "device": "cuda".
"""

import torch

from search_anchor_protocol import CellRequest, serve


class TorchCell:
    """Keys, queries and cached key norms as torch tensors on one device."""

    def __init__(self, request: CellRequest):
        if request.data is None:
            generator = torch.Generator().manual_seed(request.seed)
            keys = torch.randn(request.key_count, request.width, generator=generator)
            queries = torch.randn(request.batch, request.width, generator=generator)
        else:
            values = torch.frombuffer(request.data, dtype=torch.float32)
            queries = values[: request.batch * request.width].view(request.batch, request.width)
            keys = values[request.batch * request.width :].view(request.key_count, request.width)
        device = torch.device(request.device)
        self.keys = keys.to(device)
        self.queries = queries.to(device)
        self.key_norms = (self.keys * self.keys).sum(dim=1).unsqueeze(0)
        self.on_gpu = device.type == "cuda"
        self.device_name = torch.cuda.get_device_name(device) if self.on_gpu else "cpu"

    def scores(self):
        return torch.addmm(self.key_norms, self.queries, self.keys.t(), beta=1.0, alpha=-2.0)

    def start(self):
        if self.on_gpu:
            torch.cuda.synchronize()

    def search(self):
        return self.scores().argmin(dim=1)

    def finish(self, index):
        if self.on_gpu:
            index.cpu()

    def answer(self):
        best, index = self.scores().min(dim=1)
        squared = best + (self.queries * self.queries).sum(dim=1)
        return index.cpu().tolist(), squared.cpu().double().tolist()


def main() -> None:
    torch.set_num_threads(1)
    if torch.cuda.is_available():
        torch.backends.cuda.matmul.allow_tf32 = False
    serve({"library": "torch", "version": torch.__version__, "threads": torch.get_num_threads()}, TorchCell)


if __name__ == "__main__":
    main()
