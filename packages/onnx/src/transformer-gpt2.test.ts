import { join } from 'node:path';
import { expect, test } from 'vitest';
import { loadOnnxModel } from './load-onnx-model.js';
import { transformerFixtureDirectory } from './transformer-fixtures.js';

/**
 * GPT-2 from the dynamo exporter (opset 18, weights in `gpt2-lm.onnx.data`) writes each Linear as a Gemm on
 * `[B*T, D]`: its MLP projection's rows are tokens, not examples. Until such a cut is lifted back to `[B, T, D]`
 * it is refused at load with a message that names the edit point and the folded shape, never run on wrong rows.
 */
test('GPT-2 (dynamo, external data): a Gemm on tokens folded into the batch is refused, naming it', async () => {
  const load = loadOnnxModel(join(transformerFixtureDirectory, 'gpt2-lm.onnx'), {
    editAt: 'node_Gemm_307',
    dimensions: { sequence: 9 },
  });
  await expect(load).rejects.toMatchObject({
    code: 'UNSUPPORTED_OP',
    message: expect.stringContaining("edit point 'node_Gemm_307': layer input [batch*9, 64] folds"),
  });
});
