export type { AdapterSummary, DeviceSourceOptions } from './request-device.js';
export { requestWebGpuDevice } from './request-device.js';
export { createWebGpuBackend, type WebGpuBackend, type WebGpuBackendOptions } from './webgpu-backend.js';
