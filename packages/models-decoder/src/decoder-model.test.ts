import { stat } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CountryFact, loadCountryFacts } from './country-facts.js';
import { decoderModelFiles, readDecoderJson } from './decoder-files.js';
import { loadDecoderManifest } from './decoder-manifest.js';
import { perplexityOf, scoreTokenWindows } from './decoder-perplexity.js';
import { heldOutSpeechWindows, loadHeldOutSpeeches } from './held-out-speeches.js';
import { WordTokenizer } from './word-tokenizer.js';

let session: ort.InferenceSession;
let tokenizer: WordTokenizer;

beforeAll(async () => {
  session = await ort.InferenceSession.create(decoderModelFiles().decoder, { intraOpNumThreads: 1 });
  tokenizer = new WordTokenizer(await readDecoderJson<string[]>('vocabulary.json'));
});
afterAll(() => session?.release());

/** Greedy exact matches of prompts → continuations, prompts of one length batched, on the unedited decoder. */
async function greedyCorrect(facts: readonly CountryFact[]): Promise<number> {
  const groups = new Map<number, { prompt: number[]; target: number[] }[]>();
  for (const fact of facts) {
    const prompt = tokenizer.encode(fact.prompt);
    groups.set(prompt.length, [
      ...(groups.get(prompt.length) ?? []),
      { prompt, target: tokenizer.encode(fact.continuation) },
    ]);
  }
  let correct = 0;
  for (const rows of groups.values()) {
    const sequences = rows.map((row) => [...row.prompt]);
    const steps = Math.max(...rows.map((row) => row.target.length));
    for (let step = 0; step < steps; step++) {
      const length = sequences[0]?.length as number;
      const shape = [sequences.length, length];
      const ids = BigInt64Array.from(sequences.flat(), (id) => BigInt(id));
      const { logits } = await session.run({
        input_ids: new ort.Tensor('int64', ids, shape),
        attention_mask: new ort.Tensor('int64', new BigInt64Array(ids.length).fill(1n), shape),
      });
      const vocabulary = (logits as ort.Tensor).dims[2] as number;
      const data = (logits as ort.Tensor).data as Float32Array;
      sequences.forEach((sequence, row) => {
        const offset = (row * length + length - 1) * vocabulary;
        let best = 0;
        for (let id = 1; id < vocabulary; id++)
          if ((data[offset + id] as number) > (data[offset + best] as number)) best = id;
        sequence.push(best);
      });
    }
    rows.forEach((row, index) => {
      const generated = (sequences[index] as number[]).slice(
        row.prompt.length,
        row.prompt.length + row.target.length,
      );
      if (generated.every((id, position) => id === row.target[position])) correct++;
    });
  }
  return correct;
}

describe('the shipped decoder', () => {
  it('ships both exports under 10 MB each', async () => {
    for (const path of Object.values(decoderModelFiles())) {
      expect((await stat(path)).size).toBeLessThan(10_000_000);
    }
  });

  it('has, on onnxruntime with the ported tokenizer, the held-out perplexity the training script measured', async () => {
    const manifest = await loadDecoderManifest();
    const windows = heldOutSpeechWindows(tokenizer, await loadHeldOutSpeeches());
    expect(windows).toHaveLength(8192 / 64);
    const perplexity = perplexityOf(await scoreTokenWindows(session, windows));
    expect(Math.abs(perplexity / manifest.heldOutPerplexityFirst8192 - 1)).toBeLessThan(1e-4);
  });

  it('knows the trained facts the training script counted, and none of the held-out countries were trained', async () => {
    const manifest = await loadDecoderManifest();
    const { facts, trainedCountryCodes } = await loadCountryFacts();
    const trained = facts.filter((fact) => fact.trained);
    const heldOut = facts.filter((fact) => !fact.trained);
    expect(new Set(trained.map((fact) => fact.code))).toEqual(new Set(trainedCountryCodes));
    expect(heldOut.some((fact) => trainedCountryCodes.includes(fact.code))).toBe(false);
    expect(trained.length).toBe(manifest.facts['trained-prompt']?.total);
    // Greedy on onnxruntime completes as many trained facts as PyTorch did after training.
    expect(await greedyCorrect(trained)).toBe(manifest.facts['trained-prompt']?.correct);
  }, 300_000);
});
