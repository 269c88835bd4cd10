export type { TensorFlow, TfTensor } from './tensorflow.js';
export { createTfjsBackend } from './tfjs-backend.js';
export { TfjsTensor } from './tfjs-tensor.js';
