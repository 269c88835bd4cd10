"""The line protocol every exact-search anchor speaks (torch-lookup-anchor.py, faiss-lookup-anchor.py).

`pnpm bench lookup` and `pnpm bench webgpu-device` start an anchor once and talk to it over stdin/stdout, one
JSON object per line, so that the anchor and the TypeScript backends are timed alternately in the same run
(machine noise falls on both):

  {"cell": [B, N, D], "seed": S}        ->  {"ready": true, "device": "cpu", "library": "faiss", "version": ...,
                                             "threads": 1}
      standard normal keys [N, D] and queries [B, D], float32, made by the anchor's library from the seed. With
      "data": PATH, the cell is read instead from that file: B·D queries then N·D keys, float32 little-endian,
      row-major (the benchmark's own data, so that the anchor's answers can be checked against its float64
      brute force). "device" ("cpu" by default) is passed to the anchor, which may refuse it.
  {"time": true}                        ->  {"ms": 12.3}
      one search of the B queries for their nearest key, in ms of `perf_counter`.
  {"time": true, "calls": K}            ->  {"ms": 1.2}
      K searches back to back, one wait at the end; the mean per search.
  {"answer": true}                      ->  {"index": [B ints], "distance": [B floats]}
      one untimed search: each query's nearest key and its Euclidean (not squared) distance.

A failed request answers {"error": "first line of the message"} and the anchor keeps serving. This module needs
no library of its own (the PyTorch anchor runs where torch is installed without numpy).
"""

import json
import math
import os
import sys
import time
from typing import Any, Callable, NamedTuple, Optional, Protocol


class CellRequest(NamedTuple):
    """What a "cell" request asks for. `data` is None when the anchor makes the cell itself from `seed`."""

    batch: int
    key_count: int
    width: int
    #: B·D query floats then N·D key floats, float32 little-endian, row-major (writable, for zero-copy views).
    data: Optional[bytearray]
    seed: int
    device: str


class SearchCell(Protocol):
    """One prepared cell of an anchor: its data already on the anchor's device, any key norms cached."""

    device_name: str

    def start(self) -> None:
        """Called before the clock starts: wait for anything queued (a GPU upload)."""

    def search(self) -> Any:
        """One search of every query; may return before the device is done."""

    def finish(self, result: Any) -> None:
        """Called before the clock stops, with the last search's result: wait until it is on the host."""

    def answer(self) -> tuple[list, list]:
        """One search, untimed: nearest key index [B] and squared Euclidean distance [B], on the host."""


def read_cell_request(request: dict) -> CellRequest:
    """The cell's shape and, with "data", the file's floats (checked to be exactly (B + N)·D of them)."""
    batch, key_count, width = (int(size) for size in request["cell"])
    data = None
    if "data" in request:
        expected = (batch + key_count) * width * 4
        size = os.path.getsize(request["data"])
        if size != expected:
            raise ValueError(f"{request['data']} holds {size} bytes, expected (B + N) * D * 4 = {expected}")
        data = bytearray(size)
        with open(request["data"], "rb") as file:
            file.readinto(data)
    return CellRequest(batch, key_count, width, data, int(request.get("seed", 0)), request.get("device", "cpu"))


def timed(cell: SearchCell, calls: int) -> float:
    """Mean milliseconds per search over `calls` searches queued back to back."""
    cell.start()
    started = time.perf_counter()
    result = None
    for _ in range(calls):
        result = cell.search()
    cell.finish(result)
    return (time.perf_counter() - started) * 1000 / calls


def serve(description: dict, open_cell: Callable[[CellRequest], SearchCell]) -> None:
    """Answers requests on stdin until it closes. `description` (library, version, threads) joins "ready"."""
    cell = None
    for line in sys.stdin:
        try:
            request = json.loads(line)
            if "cell" in request:
                cell = open_cell(read_cell_request(request))
                reply = {"ready": True, "device": cell.device_name, **description}
            elif cell is None:
                reply = {"error": "no cell prepared yet"}
            elif "time" in request:
                reply = {"ms": timed(cell, int(request.get("calls", 1)))}
            elif "answer" in request:
                index, squared = cell.answer()
                distance = [math.sqrt(max(float(value), 0.0)) for value in squared]
                reply = {"index": [int(key) for key in index], "distance": distance}
            else:
                reply = {"error": f"unknown request {sorted(request)}"}
        except (RuntimeError, AssertionError, ValueError, KeyError, TypeError, OSError) as error:
            reply = {"error": str(error).strip().split("\n")[0]}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()
