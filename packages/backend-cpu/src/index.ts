export { type CpuBackendOptions, createCpuBackend } from './cpu-backend.js';
export { CpuTensor } from './cpu-tensor.js';
export { defaultDotProductMinimumPairs } from './kernels/key-search.js';
export { createHostOpKernels, type HostTensorAdapter } from './ops/host-op-kernels.js';
export type { HostTensor } from './ops/host-tensor.js';
