import { createCpuBackend } from '@grace/backend-cpu';
import type { GraceBackend } from '@grace/core';
import { createOnnxruntimeDotProducts } from '@grace/search-onnxruntime';
import { type OptionSpecification, type ParsedOptions, parseNameList } from './parse-arguments.js';
import { createTfjsBenchmarkBackend } from './tfjs-backends.js';
import { UsageError } from './usage-error.js';
import { createWebGpuBenchmarkBackend } from './webgpu-backends.js';

/**
 * A backend the benchmarks can be asked for by name (`--backend cpu,webgpu`).
 *
 * Backends are made by factories, never registered globally (DESIGN §3), so the benchmark keeps its own
 * list; adding tfjs or webgpu later is one entry here. `create` is async because GPU backends must request
 * an adapter first.
 */
export interface BenchmarkBackendFactory {
  /** The name given on the command line. */
  readonly name: string;
  /** One line for the help text. */
  readonly description: string;
  readonly create: () => Promise<GraceBackend>;
}

/** A backend made for one benchmark run, with the name it was asked for. */
export interface NamedBackend {
  readonly name: string;
  readonly backend: GraceBackend;
}

/** Every backend the benchmarks know, in the order the help text lists them. */
export const benchmarkBackendFactories: readonly BenchmarkBackendFactory[] = [
  {
    name: 'cpu',
    description: 'the reference backend in plain TypeScript (@grace/backend-cpu)',
    create: async () => createCpuBackend(),
  },
  {
    name: 'cpu-brute',
    description:
      'the cpu backend without its lookup indexes: every lookup reads every key (pivotIndex and projectionTree false)',
    create: async () => createCpuBackend({ pivotIndex: false, projectionTree: false }),
  },
  {
    name: 'cpu-ort',
    description:
      'the cpu backend searching with onnxruntime-node MLAS products, exact recheck (@grace/search-onnxruntime)',
    create: async () => createCpuBackend({ dotProducts: createOnnxruntimeDotProducts() }),
  },
  {
    name: 'tfjs-wasm',
    description: 'TensorFlow.js on its wasm backend, SIMD, one thread (@grace/backend-tfjs)',
    create: () => createTfjsBenchmarkBackend('wasm'),
  },
  {
    name: 'tfjs-cpu',
    description: 'TensorFlow.js on its plain-JavaScript cpu backend (@grace/backend-tfjs)',
    create: () => createTfjsBenchmarkBackend('cpu'),
  },
  {
    name: 'webgpu',
    description: 'hand-written WGSL kernels on WebGPU: navigator.gpu or Dawn in Node (@grace/backend-webgpu)',
    create: createWebGpuBenchmarkBackend,
  },
];

/**
 * Creates the backends named on the command line, in that order. An unknown name fails before any
 * backend is created, listing the known ones, so a typo never costs a long run.
 */
export async function createBenchmarkBackends(
  names: readonly string[],
  factories: readonly BenchmarkBackendFactory[] = benchmarkBackendFactories,
): Promise<NamedBackend[]> {
  if (names.length === 0) throw new UsageError('--backend needs at least one backend name');
  const repeated = names.find((name, position) => names.indexOf(name) !== position);
  if (repeated !== undefined) throw new UsageError(`backend '${repeated}' is named twice in --backend`);
  const chosen = names.map((name) => {
    const factory = factories.find((candidate) => candidate.name === name);
    if (factory === undefined) {
      const known = factories.map((candidate) => candidate.name).join(', ');
      throw new UsageError(`unknown backend '${name}'; known backends: ${known}`);
    }
    return factory;
  });
  const backends: NamedBackend[] = [];
  for (const factory of chosen) backends.push({ name: factory.name, backend: await factory.create() });
  return backends;
}

/** `--backend LIST`: which backends to run side by side. */
export const backendListOption: OptionSpecification = {
  name: 'backend',
  valueName: 'LIST',
  description: `comma list of backends (known: ${benchmarkBackendFactories.map((factory) => factory.name).join(', ')}; default cpu)`,
};

/** The backends named by `--backend`, or the CPU reference alone. */
export function backendNames(options: ParsedOptions): string[] {
  const backend = options.values.get('backend');
  return backend === undefined ? ['cpu'] : parseNameList(backend, 'backend');
}
