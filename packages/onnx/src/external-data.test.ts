import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, test } from 'vitest';
import { encodeOnnxModel, readOnnxModel } from './read-onnx-model.js';

const fixtures = fileURLToPath(new URL('../test-fixtures/transformers/', import.meta.url));

interface ReferenceEntry {
  readonly inputs: Record<string, number[][]>;
  readonly expected: number[][][];
}

async function gpt2Reference(): Promise<ReferenceEntry> {
  const reference = JSON.parse(await readFile(join(fixtures, 'reference.json'), 'utf8'));
  return reference.models['gpt2-lm'] as ReferenceEntry;
}

function int64Feed(rows: number[][]): ort.Tensor {
  return new ort.Tensor('int64', BigInt64Array.from(rows.flat(), BigInt), [
    rows.length,
    rows[0]?.length ?? 0,
  ]);
}

describe('models whose weights live in external data files (the dynamo exporter)', () => {
  const scratch: string[] = [];
  afterAll(async () => {
    for (const directory of scratch) await rm(directory, { recursive: true, force: true });
  });

  test('GPT-2 read from its path resolves gpt2-lm.onnx.data in its own folder, and runs from bytes like PyTorch', async () => {
    const elsewhere = await mkdtemp(join(tmpdir(), 'grace-cwd-'));
    scratch.push(elsewhere);
    const previous = process.cwd();
    process.chdir(elsewhere);
    try {
      const model = await readOnnxModel(join(fixtures, 'gpt2-lm.onnx'));
      const session = await ort.InferenceSession.create(encodeOnnxModel(model.proto));
      const reference = await gpt2Reference();
      const feeds = {
        input_ids: int64Feed(reference.inputs.input_ids as number[][]),
        attention_mask: int64Feed(reference.inputs.attention_mask as number[][]),
      };
      const logits = (await session.run(feeds)).logits as ort.Tensor;
      const expected = reference.expected.flat(2);
      let largest = 0;
      (logits.data as Float32Array).forEach((value, index) => {
        largest = Math.max(largest, Math.abs(value - (expected[index] as number)));
      });
      expect(largest).toBeLessThan(1e-4);
      await session.release();
    } finally {
      process.chdir(previous);
    }
  });

  test('bytes of such a model need externalDataDirectory, and say so', async () => {
    const bytes = new Uint8Array(await readFile(join(fixtures, 'gpt2-lm.onnx')));
    await expect(readOnnxModel(bytes)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const model = await readOnnxModel(bytes, { externalDataDirectory: fixtures });
    expect(model.proto.graph?.initializer?.every((tensor) => (tensor.dataLocation ?? 0) === 0)).toBe(true);
  });

  test('a missing data file or a location outside the model folder is FILE_CONTENT_INVALID', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'grace-external-'));
    scratch.push(directory);
    await copyFile(join(fixtures, 'gpt2-lm.onnx'), join(directory, 'gpt2-lm.onnx'));
    await expect(readOnnxModel(join(directory, 'gpt2-lm.onnx'))).rejects.toMatchObject({
      code: 'FILE_CONTENT_INVALID',
    });
    const model = await readOnnxModel(join(fixtures, 'gpt2-lm.onnx'), { externalDataDirectory: fixtures });
    const proto = model.proto;
    const tensor = proto.graph?.initializer?.find((candidate) => (candidate.rawData?.length ?? 0) > 1024);
    if (tensor === undefined) throw new Error('fixture has no large initializer');
    tensor.dataLocation = 1;
    tensor.rawData = new Uint8Array(0);
    tensor.externalData = [{ key: 'location', value: '../../etc/passwd' }];
    const escaping = join(directory, 'escaping.onnx');
    await writeFile(escaping, encodeOnnxModel(proto));
    await expect(readOnnxModel(escaping)).rejects.toMatchObject({ code: 'FILE_CONTENT_INVALID' });
  });
});
