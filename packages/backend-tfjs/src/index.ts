export { adoptTfjsTensor, isTfjsBackend } from './adopt-tfjs-tensor.js';
export type { TensorFlow, TfTensor } from './tensorflow.js';
export { createTfjsBackend, type TfjsBackendOptions } from './tfjs-backend.js';
export { TfjsTensor } from './tfjs-tensor.js';
