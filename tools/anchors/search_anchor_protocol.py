"""The line protocol every exact-search anchor speaks (torch-lookup-anchor.py, faiss-lookup-anchor.py).

`pnpm bench lookup` and `pnpm bench webgpu-device` start an anchor once and talk to it over stdin/stdout, one
JSON object per line, so that the anchor and the TypeScript backends are timed alternately in the same run
(machine noise falls on both):

  {"cell": [B, N, D], "seed": S}        ->  {"ready": true, "device": "cpu", "library": "faiss", "version": ...,
                                             "threads": 1}
      standard normal keys [N, D] and queries [B, D], float32. With "data": PATH, the cell is read instead from
      that file: B·D queries then N·D keys, float32 little-endian, row-major (the benchmark's own data, so that
      the anchor's answers can be checked against its float64 brute force). "device" ("cpu" by default) is
      passed to the anchor, which may refuse it.
  {"time": true}                        ->  {"ms": 12.3}
      one search of the B queries for their nearest key, in ms of `perf_counter`.
  {"time": true, "calls": K}            ->  {"ms": 1.2}
      K searches back to back, one wait at the end; the mean per search.
  {"answer": true}                      ->  {"index": [B ints], "distance": [B floats]}
      one untimed search: each query's nearest key and its Euclidean (not squared) distance.

A failed request answers {"error": "first line of the message"} and the anchor keeps serving.
"""

import json
import sys
import time
from typing import Any, Callable, Protocol

import numpy


class SearchCell(Protocol):
    """One prepared cell of an anchor: its data already on the anchor's device, any key norms cached."""

    device_name: str

    def start(self) -> None:
        """Called before the clock starts: wait for anything queued (a GPU upload)."""

    def search(self) -> Any:
        """One search of every query; may return before the device is done."""

    def finish(self, result: Any) -> None:
        """Called before the clock stops, with the last search's result: wait until it is on the host."""

    def answer(self) -> tuple[numpy.ndarray, numpy.ndarray]:
        """One search, untimed: nearest key index [B] and squared Euclidean distance [B], on the host."""


def load_cell(request: dict) -> tuple[numpy.ndarray, numpy.ndarray]:
    """Queries [B, D] and keys [N, D], float32: read from request["data"], else standard normal from "seed"."""
    batch, key_count, width = (int(size) for size in request["cell"])
    if "data" in request:
        values = numpy.fromfile(request["data"], dtype="<f4")
        expected = (batch + key_count) * width
        if values.size != expected:
            raise ValueError(f"{request['data']} holds {values.size} floats, expected (B + N) * D = {expected}")
        return values[: batch * width].reshape(batch, width), values[batch * width :].reshape(key_count, width)
    generator = numpy.random.default_rng(int(request.get("seed", 0)))
    keys = generator.standard_normal((key_count, width), dtype=numpy.float32)
    queries = generator.standard_normal((batch, width), dtype=numpy.float32)
    return queries, keys


def timed(cell: SearchCell, calls: int) -> float:
    """Mean milliseconds per search over `calls` searches queued back to back."""
    cell.start()
    started = time.perf_counter()
    result = None
    for _ in range(calls):
        result = cell.search()
    cell.finish(result)
    return (time.perf_counter() - started) * 1000 / calls


def serve(description: dict, open_cell: Callable[[numpy.ndarray, numpy.ndarray, str], SearchCell]) -> None:
    """Answers requests on stdin until it closes. `description` (library, version, threads) joins "ready"."""
    cell = None
    for line in sys.stdin:
        try:
            request = json.loads(line)
            if "cell" in request:
                queries, keys = load_cell(request)
                cell = open_cell(queries, keys, request.get("device", "cpu"))
                reply = {"ready": True, "device": cell.device_name, **description}
            elif cell is None:
                reply = {"error": "no cell prepared yet"}
            elif "time" in request:
                reply = {"ms": timed(cell, int(request.get("calls", 1)))}
            elif "answer" in request:
                index, squared = cell.answer()
                distance = numpy.sqrt(numpy.maximum(numpy.asarray(squared, dtype=numpy.float64), 0))
                reply = {"index": [int(key) for key in index], "distance": distance.tolist()}
            else:
                reply = {"error": f"unknown request {sorted(request)}"}
        except (RuntimeError, AssertionError, ValueError, KeyError, TypeError, OSError) as error:
            reply = {"error": str(error).strip().split("\n")[0]}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()
