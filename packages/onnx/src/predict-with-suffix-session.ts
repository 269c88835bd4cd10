import type { GraceEditor } from '@grace/core';
import * as ort from 'onnxruntime-node';
import { attentionMaskLengths } from './attention-mask-lengths.js';
import type { OnnxEditableModel } from './load-onnx-model.js';
import type { OnnxInput } from './onnx-inputs.js';

/**
 * Serving path of an edited ONNX model: the prefix session, the GRACE lookup on the editor's backend, then the
 * ORIGINAL suffix on onnxruntime (not the IR), so the frozen tail runs exactly as exported. Returns the
 * prediction output as onnxruntime gives it (e.g. probabilities) and the key that fired per row (-1 = none).
 */
export async function predictWithSuffixSession(
  model: OnnxEditableModel,
  editor: GraceEditor<OnnxInput>,
  inputs: readonly OnnxInput[],
): Promise<{ prediction: ort.Tensor; keyIndices: Int32Array }> {
  const backend = editor.backend;
  const prefix = await model.runPrefixSession(inputs);
  const keyTensor = prefix[model.cut.editPoint.input] as ort.Tensor;
  const outputTensor = prefix[model.cut.editPoint.output] as ort.Tensor;
  const layerInput = backend.upload(keyTensor.data as Float32Array, [...keyTensor.dims]);
  const layerOutput = backend.upload(outputTensor.data as Float32Array, [...outputTensor.dims]);
  try {
    const replaced = editor.layer.forward({
      layerInput: layerInput as never,
      layerOutput: layerOutput as never,
      // Padded rows: key tokens from the attention mask, as `runPrefix` reads them.
      ...(model.attentionMask === undefined
        ? {}
        : { lengths: attentionMaskLengths(model.attentionMask, inputs) }),
    });
    try {
      const [values, keyIndices] = await Promise.all([
        backend.download(replaced.output),
        backend.download(replaced.hitIndex),
      ]);
      const feeds: Record<string, ort.Tensor> = {};
      for (const name of model.cut.crossingTensors) feeds[name] = prefix[name] as ort.Tensor;
      feeds[model.cut.editPoint.output] = new ort.Tensor('float32', values as Float32Array, [
        ...outputTensor.dims,
      ]);
      const outputs = await model.suffixSession.run(feeds);
      return {
        prediction: outputs[model.predictionOutput] as ort.Tensor,
        keyIndices: Int32Array.from(keyIndices as ArrayLike<number>),
      };
    } finally {
      backend.dispose(replaced.output);
      backend.dispose(replaced.hitIndex);
    }
  } finally {
    backend.dispose(layerInput);
    backend.dispose(layerOutput);
  }
}
