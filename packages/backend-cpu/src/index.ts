export { createCpuBackend } from './cpu-backend.js';
export { CpuTensor } from './cpu-tensor.js';
