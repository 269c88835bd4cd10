"""faiss anchor for `pnpm bench lookup`: the standard exact k-NN library's flat index, one thread, timed.

It speaks the line protocol of search_anchor_protocol.py. The search is `IndexFlatL2.search(queries, 1)` in
float32 on one CPU thread, with the key norms cached (`sync_l2norms`, as the PyTorch anchor caches them) and
faiss's BLAS path forced: faiss searches fewer queries than `distance_compute_blas_threshold` (128,000 by
default in faiss-cpu 1.15) with its SIMD loop, which at B = 32, D = 768 is several times slower here than the same
search through its BLAS GEMM. Both paths compute ‖q‖² + ‖k‖² − 2 q·k; the benchmark checks the
answers against its float64 brute force. CPU only; needs faiss-cpu.
"""

import faiss
import numpy

from search_anchor_protocol import CellRequest, serve


class FaissCell:
    """A flat L2 index holding the keys, and the queries to search it with."""

    device_name = "cpu"

    def __init__(self, request: CellRequest):
        if request.device != "cpu":
            raise ValueError(f"the faiss anchor runs on the CPU only, not on {request.device}")
        if request.data is None:
            generator = numpy.random.default_rng(request.seed)
            keys = generator.standard_normal((request.key_count, request.width), dtype=numpy.float32)
            queries = generator.standard_normal((request.batch, request.width), dtype=numpy.float32)
        else:
            values = numpy.frombuffer(request.data, dtype="<f4")
            queries = values[: request.batch * request.width].reshape(request.batch, request.width)
            keys = values[request.batch * request.width :].reshape(request.key_count, request.width)
        self.queries = queries
        self.index = faiss.IndexFlatL2(request.width)
        self.index.add(keys)
        self.index.sync_l2norms()

    def start(self):
        pass

    def search(self):
        return self.index.search(self.queries, 1)

    def finish(self, result):
        pass

    def answer(self):
        squared, index = self.index.search(self.queries, 1)
        return index[:, 0].tolist(), squared[:, 0].tolist()


def main() -> None:
    faiss.omp_set_num_threads(1)
    faiss.cvar.distance_compute_blas_threshold = 1
    serve({"library": "faiss", "version": faiss.__version__, "threads": faiss.omp_get_max_threads()}, FaissCell)


if __name__ == "__main__":
    main()
