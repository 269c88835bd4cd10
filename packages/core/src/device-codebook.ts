import type { GraceBackend } from './backend.js';
import type { Codebook } from './codebook.js';
import type { Tensor } from './tensor.js';

/** The codebook's tensors as one backend holds them. */
export interface DeviceCodebookTensors {
  /** `[N, Dk]`. */
  readonly keys: Tensor<'float32'>;
  /** `[N]`. */
  readonly radii: Tensor<'float32'>;
  /** `[N, Dv]`. */
  readonly values: Tensor<'float32'>;
}

/**
 * A backend-side copy of a codebook, uploaded again only when the codebook's version moved. Inference reads
 * it at every prediction while edits are rare, so the upload cost is paid once per edit, not per call.
 */
export class DeviceCodebook {
  private tensors: DeviceCodebookTensors | null = null;
  private uploadedVersion = -1;

  constructor(
    private readonly backend: GraceBackend,
    private readonly codebook: Codebook,
  ) {}

  /** The current tensors; valid until the next call of `current` or `dispose`. */
  current(): DeviceCodebookTensors {
    if (this.tensors !== null && this.uploadedVersion === this.codebook.version) return this.tensors;
    const { size, keyDimension, valueDimension } = this.codebook;
    const fresh: DeviceCodebookTensors = {
      keys: this.backend.upload(this.codebook.keysView(), [size, keyDimension]),
      radii: this.backend.upload(this.codebook.radiiView(), [size]),
      values: this.backend.upload(this.codebook.valuesView(), [size, valueDimension]),
    };
    this.dispose();
    this.tensors = fresh;
    this.uploadedVersion = this.codebook.version;
    return fresh;
  }

  dispose(): void {
    if (this.tensors === null) return;
    this.backend.dispose(this.tensors.keys);
    this.backend.dispose(this.tensors.radii);
    this.backend.dispose(this.tensors.values);
    this.tensors = null;
    this.uploadedVersion = -1;
  }
}
