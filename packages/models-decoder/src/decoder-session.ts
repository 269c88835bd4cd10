import * as ort from 'onnxruntime-node';
import { decoderModelFiles } from './decoder-files.js';

/**
 * The unedited decoder (`decoder.onnx`, no cache) as an onnxruntime-node session, for {@link scoreTokenWindows}
 * and plain inference; `release()` it when done. To edit or generate, load the files with `@grace/onnx` instead.
 */
export function loadDecoderSession(
  options: ort.InferenceSession.SessionOptions = {},
): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(decoderModelFiles().decoder, options);
}
