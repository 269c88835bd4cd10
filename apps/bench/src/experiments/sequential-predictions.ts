import { type GraceBackend, type SequentialModel, SuffixExecutor, type Tensor } from '@grace/core';

/**
 * Class predictions of a plain sequential model (no GRACE), for baselines such as fine-tuning whose weights
 * change; one executor pass per call.
 */
export async function predictSequential(
  backend: GraceBackend,
  model: SequentialModel,
  points: readonly (readonly number[])[],
): Promise<number[]> {
  const executor = new SuffixExecutor(backend, model.graph({ withLoss: false }));
  const input = backend.upload(Float32Array.from(points.flat()), [points.length, model.inputWidth]);
  let prediction: Tensor<'float32'> | undefined;
  try {
    prediction = executor.run({ feeds: { input }, outputs: ['prediction'] }).outputs.get('prediction');
    const logits = await backend.download(prediction as Tensor<'float32'>);
    return model.decodePredictions(logits, (prediction as Tensor).shape) as number[];
  } finally {
    if (prediction !== undefined) backend.dispose(prediction);
    backend.dispose(input);
    executor.dispose();
  }
}
