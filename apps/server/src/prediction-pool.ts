import { availableParallelism } from 'node:os';
import { type Codebook, encodeCodebook } from '@grace/core';
import { FairScheduler } from './fair-scheduler.js';
import type { ServedLabel } from './served-model.js';
import { ServiceUnavailableError } from './service-unavailable-error.js';
import { WorkerClient, workerScript } from './worker-client.js';

/** What a prediction worker is started with. */
export interface PredictionWorkerData {
  readonly model: string;
  readonly seed: number;
}

/** One prediction as the API reports it. */
export interface ServedPrediction {
  readonly label: ServedLabel;
  /** Whether a codebook key fired (the edited layer's output was replaced). */
  readonly fired: boolean;
  /** The key that fired, or null. */
  readonly keyIndex: number | null;
  /** The edit that made (or last trained) that key, or null. */
  readonly editId: string | null;
}

/** The committed codebook as the pool sends it to workers, with the key owners of that very version. */
export interface PublishedCodebook {
  /** Changes whenever the committed codebook does. */
  readonly version: number;
  readonly codebook: Codebook;
  readonly owners: ReadonlyMap<number, string>;
}

export interface PredictionPoolOptions extends PredictionWorkerData {
  /** Worker threads; default one fewer than the cores (at least one). */
  readonly workers?: number;
  /** The largest cost (input characters) one turn of a worker handles; default 4,096. */
  readonly sliceCost?: number;
  /** Slices queued, all clients together, before requests are refused with 503; default 4,096. */
  readonly maximumQueued?: number;
  /** Slices queued for one client before its requests are refused with 503; default 256. */
  readonly maximumQueuedPerClient?: number;
  /** The committed codebook now. */
  readonly published: () => PublishedCodebook;
}

interface Slice {
  readonly inputs: readonly unknown[];
  /** Input characters (JSON length of non-text inputs). */
  readonly cost: number;
  readonly done: (result: ServedPrediction[] | Error) => void;
}

interface PoolWorker {
  readonly client: WorkerClient;
  version: number;
  busy: boolean;
}

/**
 * Predictions off the event loop, shared fairly. A request's inputs are cut into slices of bounded cost (so
 * one large request never holds a worker for long); slices wait in a {@link FairScheduler} per client (the
 * connection's address) and workers take them round-robin across clients, so one client flooding the server
 * with maximal requests slows itself, not the others. Before a worker answers a slice it is sent the committed
 * codebook if it holds an older one; the answer is translated with the key owners of the version it ran on.
 */
export class PredictionPool {
  private readonly workers: PoolWorker[];
  private readonly scheduler: FairScheduler<Slice>;
  private readonly sliceCost: number;
  private readonly published: () => PublishedCodebook;
  private encoded: { version: number; bytes: Uint8Array; owners: ReadonlyMap<number, string> } | undefined;

  constructor(options: PredictionPoolOptions) {
    const count = options.workers ?? Math.max(1, availableParallelism() - 1);
    const data: PredictionWorkerData = { model: options.model, seed: options.seed };
    this.workers = Array.from({ length: count }, () => ({
      client: new WorkerClient(workerScript('prediction-worker'), data),
      version: -1,
      busy: false,
    }));
    this.scheduler = new FairScheduler({
      maximumQueued: options.maximumQueued ?? 4096,
      maximumQueuedPerClient: options.maximumQueuedPerClient ?? 256,
    });
    this.sliceCost = options.sliceCost ?? 4096;
    this.published = options.published;
  }

  /** Slices waiting for a worker. */
  get queued(): number {
    return this.scheduler.queued;
  }

  get workerCount(): number {
    return this.workers.length;
  }

  /** Resolves once every worker has built its model (start-up waits for it before listening). */
  async ready(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.client.call('ready')));
  }

  /** Predicts already-validated JSON inputs for `client`; refuses with 503 when its queue or the pool is full. */
  predict(client: string, inputs: readonly unknown[]): Promise<ServedPrediction[]> {
    const batches = this.cut(inputs);
    const results: ServedPrediction[][] = [];
    return new Promise<ServedPrediction[]>((resolve, reject) => {
      let remaining = batches.length;
      let failed = false;
      const slices = batches.map(
        ({ inputs: batch, cost }, index): Slice => ({
          inputs: batch,
          cost,
          done: (result) => {
            if (failed) return;
            if (result instanceof Error) {
              failed = true;
              reject(result);
              return;
            }
            results[index] = result;
            if (--remaining === 0) resolve(results.flat());
          },
        }),
      );
      const refusal = this.scheduler.enqueue(client, slices);
      if (refusal !== null) {
        reject(
          new ServiceUnavailableError(
            refusal === 'saturated' ? 'PREDICTIONS_SATURATED' : 'CLIENT_SATURATED',
            refusal === 'saturated'
              ? 'the server is busy with other predictions; retry later'
              : 'too many of your predictions are waiting; retry later',
          ),
        );
        return;
      }
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.client.terminate()));
  }

  /** Hands queued slices to idle workers. */
  private dispatch(): void {
    for (const worker of this.workers) {
      if (worker.busy) continue;
      const turn = this.scheduler.next(this.sliceCost);
      if (turn.length === 0) return;
      worker.busy = true;
      void this.run(worker, turn);
    }
  }

  /** One worker call for a turn's slices (their inputs concatenated), answered slice by slice. */
  private async run(worker: PoolWorker, turn: readonly Slice[]): Promise<void> {
    try {
      const published = this.encodedCodebook();
      if (worker.version !== published.version) {
        await worker.client.call('load', published.bytes);
        worker.version = published.version;
      }
      const result = await worker.client.call<{ labels: ServedLabel[]; keyIndices: number[] }>(
        'predict',
        turn.flatMap((slice) => slice.inputs),
      );
      // The owners of the version this turn ran on (a newer one may have been published meanwhile).
      const predictions = translate(result, published.owners);
      let offset = 0;
      for (const slice of turn) {
        slice.done(predictions.slice(offset, offset + slice.inputs.length));
        offset += slice.inputs.length;
      }
    } catch (error) {
      for (const slice of turn) slice.done(error instanceof Error ? error : new Error(String(error)));
    } finally {
      worker.busy = false;
      this.dispatch();
    }
  }

  /** The committed codebook's bytes, encoded once per version. */
  private encodedCodebook(): { version: number; bytes: Uint8Array; owners: ReadonlyMap<number, string> } {
    const published = this.published();
    if (this.encoded?.version !== published.version) {
      this.encoded = {
        version: published.version,
        bytes: encodeCodebook(published.codebook),
        owners: published.owners,
      };
    }
    return this.encoded;
  }

  /** Consecutive inputs grouped so each group costs at most `sliceCost` (one input at least). */
  private cut(inputs: readonly unknown[]): { inputs: unknown[]; cost: number }[] {
    const batches: { inputs: unknown[]; cost: number }[] = [];
    let current = { inputs: [] as unknown[], cost: 0 };
    for (const input of inputs) {
      const inputCost = typeof input === 'string' ? input.length : JSON.stringify(input).length;
      if (current.inputs.length > 0 && current.cost + inputCost > this.sliceCost) {
        batches.push(current);
        current = { inputs: [], cost: 0 };
      }
      current.inputs.push(input);
      current.cost += inputCost;
    }
    if (current.inputs.length > 0) batches.push(current);
    return batches;
  }
}

function translate(
  result: { labels: ServedLabel[]; keyIndices: number[] },
  owners: ReadonlyMap<number, string>,
): ServedPrediction[] {
  return result.labels.map((label, index) => {
    const keyIndex = result.keyIndices[index] as number;
    return {
      label,
      fired: keyIndex >= 0,
      keyIndex: keyIndex >= 0 ? keyIndex : null,
      editId: keyIndex >= 0 ? (owners.get(keyIndex) ?? null) : null,
    };
  });
}
