import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/** A request to a worker: a method name and its arguments (structured-cloned). */
export interface WorkerRequest {
  readonly id: number;
  readonly method: string;
  readonly args: readonly unknown[];
}

/** A worker's answer: the result, or the error's message. */
export type WorkerResponse =
  | { readonly id: number; readonly result: unknown }
  | { readonly id: number; readonly error: string };

/**
 * The compiled worker script `name.js` beside this module. Under vitest this module is the TypeScript source,
 * whose workers are the built ones in `dist/` (the package's tests run after its build).
 */
export function workerScript(name: string): URL {
  const beside = new URL(`./${name}.js`, import.meta.url);
  if (existsSync(fileURLToPath(beside))) return beside;
  return new URL(`../dist/${name}.js`, import.meta.url);
}

/**
 * Calls methods of a worker thread and awaits their answers; a worker that dies fails every call it had.
 * Work posted to one worker runs in posting order.
 */
export class WorkerClient {
  private readonly worker: Worker;
  private readonly pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: Error) => void }
  >();
  private nextId = 1;
  private failure: Error | undefined;

  constructor(script: URL, workerData: unknown) {
    this.worker = new Worker(script, { workerData });
    this.worker.on('message', (response: WorkerResponse) => {
      const waiting = this.pending.get(response.id);
      if (waiting === undefined) return;
      this.pending.delete(response.id);
      if ('error' in response) waiting.reject(new Error(response.error));
      else waiting.resolve(response.result);
    });
    const fail = (error: Error): void => {
      this.failure = error;
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`worker exited with code ${code}`)));
  }

  /** Calls still unanswered. */
  get busy(): number {
    return this.pending.size;
  }

  call<Result>(method: string, ...args: unknown[]): Promise<Result> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<Result>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.worker.postMessage({ id, method, args } satisfies WorkerRequest);
    });
  }

  async terminate(): Promise<void> {
    await this.worker.terminate();
  }
}
