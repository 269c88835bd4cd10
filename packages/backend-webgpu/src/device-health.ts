import { GraceError } from '@grace/core';

/**
 * Listens to one device once, however many backends share it (the conformance suite makes one backend per
 * case over a single device): failures are appended in order and the lost state is kept.
 */
class DeviceMonitor {
  readonly failures: GraceError[] = [];
  lost: GraceError | undefined;

  constructor(device: GPUDevice) {
    device.addEventListener('uncapturederror', (event: Event) => {
      const error = (event as GPUUncapturedErrorEvent).error;
      this.failures.push(
        new GraceError('BACKEND_FAILURE', `device error: ${error?.message ?? String(error)}`, {
          kind: error?.constructor?.name,
        }),
      );
    });
    device.lost.then(
      (info) => {
        this.lost = new GraceError('BACKEND_FAILURE', `device lost (${info.reason}): ${info.message}`, {
          reason: info.reason,
        });
      },
      () => undefined,
    );
  }
}

const monitors = new WeakMap<GPUDevice, DeviceMonitor>();

/**
 * Turns WebGPU's asynchronous failures into typed errors. WebGPU reports a lost device, an out-of-memory
 * allocation or a validation error after the call that caused it has returned, so the first failure is kept
 * and thrown as `BACKEND_FAILURE` by the next kernel call or download: the caller learns of it at its next
 * step instead of reading garbage. A backend sees the device's failures from its creation on, and a lost
 * device always.
 */
export class DeviceHealth {
  readonly #device: GPUDevice;
  readonly #monitor: DeviceMonitor;
  readonly #firstFailure: number;
  #failure: GraceError | undefined;

  constructor(device: GPUDevice) {
    this.#device = device;
    let monitor = monitors.get(device);
    if (monitor === undefined) {
      monitor = new DeviceMonitor(device);
      monitors.set(device, monitor);
    }
    this.#monitor = monitor;
    this.#firstFailure = monitor.failures.length;
  }

  /** Keeps the first failure; later ones are usually consequences of it. */
  record(message: string, details: Record<string, unknown> = {}): void {
    if (this.#failure === undefined) this.#failure = new GraceError('BACKEND_FAILURE', message, details);
  }

  /** Throws the recorded failure, if any. Called before any work is queued and after every read-back. */
  check(): void {
    const failure = this.#failure ?? this.#monitor.lost ?? this.#monitor.failures[this.#firstFailure];
    if (failure !== undefined) throw failure;
  }

  /**
   * Runs `action` inside an error scope of `filter` (`out-of-memory` for allocations, `validation` for
   * pipelines), so that the failure is attributed to `what` rather than reported as an anonymous device error.
   */
  watch<T>(filter: GPUErrorFilter, what: string, action: () => T): T {
    this.#device.pushErrorScope(filter);
    try {
      return action();
    } finally {
      this.#device.popErrorScope().then(
        (error) => {
          if (error !== null) this.record(`${what}: ${filter} error: ${error.message}`, { filter });
        },
        () => undefined,
      );
    }
  }
}
