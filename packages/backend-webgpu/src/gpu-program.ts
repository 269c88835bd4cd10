/**
 * GPU programs as small objects (the shape TensorFlow.js's WebGPU backend gives them): a shader key for the
 * pipeline cache, a workgroup size, the storage bindings, and a function returning the WGSL. The runner
 * (`gpu-runner.ts`) owns pipelines, bind groups and dispatch; a kernel only says what to run on what.
 */

/** Element type of a storage binding as the shader reads it; `u32` lets copies move raw bits. */
export type ScalarType = 'f32' | 'i32' | 'u32';

/** One storage buffer of a program, in binding order. The runner appends `params` after them. */
export interface GpuBinding {
  readonly name: string;
  readonly type: ScalarType;
  /** `read_write` for the outputs; WebGPU refuses a buffer bound writable twice in one dispatch. */
  readonly access: 'read' | 'read_write';
}

/** A compute program. The same `shaderKey` must always mean the same WGSL: it is the pipeline cache key. */
export interface GpuProgram {
  readonly shaderKey: string;
  /** Threads per workgroup (one-dimensional). */
  readonly workgroupSize: number;
  readonly bindings: readonly GpuBinding[];
  /** The WGSL source; called once per device and shader key. */
  wgsl(): string;
}

/** Shorthand for a read-only binding. */
export function input(name: string, type: ScalarType = 'f32'): GpuBinding {
  return { name, type, access: 'read' };
}

/** Shorthand for a writable binding. */
export function output(name: string, type: ScalarType = 'f32'): GpuBinding {
  return { name, type, access: 'read_write' };
}

/** The largest workgroup count per dispatch dimension every WebGPU device supports. */
export const maximumWorkgroupsPerDimension = 65535;

/** Default threads per workgroup of element-wise programs: a safe size on every adapter. */
export const elementWorkgroupSize = 64;

function bindingDeclarations(bindings: readonly GpuBinding[]): string {
  const declared = bindings.map(
    (binding, index) =>
      `@group(0) @binding(${index}) var<storage, ${binding.access}> ${binding.name}: array<${binding.type}>;`,
  );
  declared.push(`@group(0) @binding(${bindings.length}) var<storage, read> params: array<u32>;`);
  return declared.join('\n');
}

/** Parts of a shader that {@link elementShader} and {@link workgroupShader} assemble. */
export interface ShaderParts {
  readonly bindings: readonly GpuBinding[];
  readonly workgroupSize: number;
  /** Module-scope helpers (functions, `var<workgroup>` arrays, constants). */
  readonly declarations?: string;
  /** The body of `main`. */
  readonly body: string;
}

/**
 * A one-thread-per-element shader: writes the bindings, the entry point and the bounds guard, so a kernel
 * holds only its own arithmetic. In the body, `index` is the element (up to 65535² workgroups, laid out by
 * {@link elementDispatch}) and `params[0]` is the element count the guard checks.
 */
export function elementShader(parts: ShaderParts): string {
  return `${bindingDeclarations(parts.bindings)}
${parts.declarations ?? ''}
@compute @workgroup_size(${parts.workgroupSize})
fn main(@builtin(workgroup_id) workgroup: vec3u, @builtin(num_workgroups) groups: vec3u,
        @builtin(local_invocation_index) local: u32) {
  let index = (workgroup.x + workgroup.y * groups.x) * ${parts.workgroupSize}u + local;
  if (index >= params[0]) { return; }
${parts.body}
}
`;
}

/**
 * A shader whose threads cooperate through workgroup memory and barriers, so it has no early return: the body
 * guards its own loads and stores. `workgroup`, `groups` and `local` are in scope.
 */
export function workgroupShader(parts: ShaderParts): string {
  return `${bindingDeclarations(parts.bindings)}
${parts.declarations ?? ''}
@compute @workgroup_size(${parts.workgroupSize})
fn main(@builtin(workgroup_id) workgroup: vec3u, @builtin(num_workgroups) groups: vec3u,
        @builtin(local_invocation_index) local: u32) {
${parts.body}
}
`;
}

/** Workgroup counts `[x, y, 1]` covering `count` elements, `x` capped at the per-dimension limit. */
export function elementDispatch(
  count: number,
  workgroupSize: number = elementWorkgroupSize,
): [number, number, number] {
  const groups = Math.ceil(count / workgroupSize);
  if (groups <= maximumWorkgroupsPerDimension) return [Math.max(groups, 1), 1, 1];
  return [maximumWorkgroupsPerDimension, Math.ceil(groups / maximumWorkgroupsPerDimension), 1];
}

/**
 * The `params` array of one dispatch: u32 words, floats as their bits (`bitcast<f32>(params[i])` in WGSL), so
 * one binding carries every size, stride and scalar a program needs.
 */
export class Params {
  readonly #words: number[] = [];
  readonly #scratch = new DataView(new ArrayBuffer(4));

  u32(...values: readonly number[]): this {
    for (const value of values) this.#words.push(value >>> 0);
    return this;
  }

  f32(value: number): this {
    this.#scratch.setFloat32(0, value, true);
    this.#words.push(this.#scratch.getUint32(0, true));
    return this;
  }

  get length(): number {
    return this.#words.length;
  }

  toArray(): Uint32Array<ArrayBuffer> {
    return Uint32Array.from(this.#words);
  }
}
