"""Exports a GPT2LMHeadModel to the two ONNX files of @grace/models-decoder and checks them against PyTorch.

- `decoder.onnx`: input_ids [B, T], attention_mask [B, T] → logits [B, T, V] (positions count from 0: pad on the
  right).
- `decoder-with-past.onnx`: the same inputs with attention_mask [B, P + T], plus past_key_values.{i}.key and
  past_key_values.{i}.value [B, H, P, D/H] for each layer i → logits [B, T, V], present.{i}.key and
  present.{i}.value [B, H, P + T, D/H] (the names optimum gives GPT-2 exports). P may be 0 (the prefill).

The cache crosses the export as flat tensors: a thin wrapper builds transformers' DynamicCache inside forward, so
the exporter never sees the Cache class. Both are written by the standard dynamo exporter (opset 18), weights
inside the file, and compared with PyTorch on held-out text (max |difference| ≤ 1e-4, else the script fails).
"""

import os

import numpy
import onnxruntime
import torch
import transformers

OPSET = 18
TOLERANCE = 1e-4


class DecoderLogits(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask):
        return self.model(input_ids=input_ids, attention_mask=attention_mask, use_cache=False).logits


class DecoderWithPast(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask, position_ids, *past):
        pairs = [(past[2 * layer], past[2 * layer + 1]) for layer in range(len(past) // 2)]
        cache = transformers.DynamicCache(ddp_cache_data=pairs)
        output = self.model(
            input_ids=input_ids,
            attention_mask=attention_mask,
            position_ids=position_ids,
            past_key_values=cache,
            use_cache=True,
        )
        present = []
        for layer in output.past_key_values.layers:
            present.extend([layer.keys, layer.values])
        return (output.logits, *present)


def past_names(layers):
    return [f"past_key_values.{layer}.{kind}" for layer in range(layers) for kind in ("key", "value")]


def present_names(layers):
    return [f"present.{layer}.{kind}" for layer in range(layers) for kind in ("key", "value")]


def left_padded(window, lengths):
    """A batch of prefixes of one window, left-padded to the longest, with the position ids padding needs."""
    width = max(lengths)
    ids = torch.zeros((len(lengths), width), dtype=torch.int64)
    mask = torch.zeros((len(lengths), width), dtype=torch.int64)
    for row, length in enumerate(lengths):
        ids[row, width - length :] = torch.tensor(window[:length])
        mask[row, width - length :] = 1
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    return ids, mask, positions


def export_decoders(model, output, window):
    model.eval()
    config = model.config
    layers, heads = config.n_layer, config.n_head
    head_size = config.n_embd // heads
    batch = torch.export.Dim("batch", min=1, max=256)
    sequence = torch.export.Dim("sequence", min=1, max=config.n_positions)
    past = torch.export.Dim("past", min=0, max=config.n_positions)

    ids, mask, positions = left_padded(window.tolist(), [48, 40, 33])
    no_cache = torch.onnx.export(
        DecoderLogits(model).eval(),
        (ids, mask),
        dynamo=True,
        opset_version=OPSET,
        input_names=["input_ids", "attention_mask"],
        output_names=["logits"],
        dynamic_shapes={"input_ids": {0: batch, 1: sequence}, "attention_mask": {0: batch, 1: sequence}},
    )
    no_cache_path = os.path.join(output, "decoder.onnx")
    no_cache.save(no_cache_path, external_data=False)

    with torch.no_grad():
        prefill = model(input_ids=ids[:, :40], attention_mask=mask[:, :40], position_ids=positions[:, :40],
                        use_cache=True)
    flat_past = [tensor for layer in prefill.past_key_values.layers for tensor in (layer.keys, layer.values)]
    step = (ids[:, 40:], mask, positions[:, 40:], *flat_past)
    total = torch.export.Dim("total", min=1, max=2 * config.n_positions)
    with_past = torch.onnx.export(
        DecoderWithPast(model).eval(),
        step,
        dynamo=True,
        opset_version=OPSET,
        input_names=["input_ids", "attention_mask", "position_ids", *past_names(layers)],
        output_names=["logits", *present_names(layers)],
        dynamic_shapes=(
            {0: batch, 1: sequence},
            {0: batch, 1: total},
            {0: batch, 1: sequence},
            tuple({0: batch, 2: past} for _ in range(2 * layers)),
        ),
    )
    with_past_path = os.path.join(output, "decoder-with-past.onnx")
    with_past.save(with_past_path, external_data=False)
    check_decoders(model, no_cache_path, with_past_path, ids, mask, positions, layers, heads, head_size)


def largest_difference(expected, actual, mask=None):
    """max |expected − actual|; with a mask [B, T], over the real (unpadded) positions only."""
    difference = numpy.abs(expected.detach().numpy() - actual)
    if mask is not None:
        difference = difference[mask.astype(bool)]
    return float(numpy.max(difference))


def check_decoders(model, no_cache_path, with_past_path, ids, mask, positions, layers, heads, head_size):
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    plain = onnxruntime.InferenceSession(no_cache_path, options)
    cached = onnxruntime.InferenceSession(with_past_path, options)
    with torch.no_grad():
        expected = model(input_ids=ids, attention_mask=mask, position_ids=positions, use_cache=True)
    feeds = {"input_ids": ids.numpy(), "attention_mask": mask.numpy(), "position_ids": positions.numpy()}
    real = feeds["attention_mask"]
    # decoder.onnx has no position ids (positions count from 0, as in right-padded rows): compare it on one
    # unpadded row, and the cached export on the left-padded batch with its position ids
    with torch.no_grad():
        unpadded = model(input_ids=ids[:1], use_cache=False).logits
    plain_logits = plain.run(["logits"], {"input_ids": feeds["input_ids"][:1], "attention_mask": real[:1]})[0]
    differences = {"decoder": largest_difference(unpadded, plain_logits)}

    empty = numpy.zeros((ids.shape[0], heads, 0, head_size), dtype=numpy.float32)
    prefill = cached.run(None, {**feeds, **{name: empty for name in past_names(layers)}})
    differences["with-past prefill (P = 0)"] = largest_difference(expected.logits, prefill[0], real)
    expected_present = [tensor for layer in expected.past_key_values.layers for tensor in (layer.keys, layer.values)]
    differences["with-past present"] = max(
        largest_difference(tensor.transpose(1, 2), actual.transpose(0, 2, 1, 3), real)
        for tensor, actual in zip(expected_present, prefill[1:])
    )
    # one step at a time over the last 8 tokens, the cache carried from ONNX output to ONNX input
    split = ids.shape[1] - 8
    state = cached.run(None, {"input_ids": feeds["input_ids"][:, :split],
                              "attention_mask": feeds["attention_mask"][:, :split],
                              "position_ids": feeds["position_ids"][:, :split],
                              **{name: empty for name in past_names(layers)}})
    step_difference = 0.0
    for position in range(split, ids.shape[1]):
        state = cached.run(None, {"input_ids": feeds["input_ids"][:, position : position + 1],
                                  "attention_mask": feeds["attention_mask"][:, : position + 1],
                                  "position_ids": feeds["position_ids"][:, position : position + 1],
                                  **dict(zip(past_names(layers), state[1:]))})
        step_difference = max(step_difference, largest_difference(expected.logits[:, position : position + 1],
                                                                   state[0], real[:, position : position + 1]))
    differences["with-past decode steps"] = step_difference
    for name, difference in differences.items():
        print(f"onnxruntime vs PyTorch, {name}: max |difference| {difference:.2e}", flush=True)
        if not difference <= TOLERANCE:
            raise SystemExit(f"{name}: onnxruntime differs from PyTorch by {difference} > {TOLERANCE}")
    for path in (no_cache_path, with_past_path):
        print(f"{os.path.basename(path)}: {os.path.getsize(path) / 1e6:.2f} MB", flush=True)
