import {
  benchmarkToken,
  type ServerProcess,
  startServerProcess,
  stopServerProcess,
} from './benchmark-support.js';

/** What the replication tests and benchmark start: server processes of the synthetic model on one PostgreSQL log. */
export class ReplicaSet {
  readonly replicas: ServerProcess[] = [];
  private readonly args: readonly string[];

  /** `databaseUrl`: the shared log; `args`: more flags for every process. */
  constructor(databaseUrl: string, args: readonly string[] = []) {
    this.args = [
      '--model',
      'synthetic',
      '--store',
      databaseUrl,
      '--training-iterations',
      '20',
      '--prediction-workers',
      '1',
      '--rate-limit',
      '0',
      ...args,
    ];
  }

  /** Starts `count` more processes at once. */
  async start(count = 1): Promise<ServerProcess[]> {
    const started = await Promise.all(Array.from({ length: count }, () => startServerProcess(this.args)));
    this.replicas.push(...started);
    return started;
  }

  /** The processes still running. */
  alive(): ServerProcess[] {
    return this.replicas.filter(
      (replica) => replica.child.exitCode === null && replica.child.signalCode === null,
    );
  }

  /** The running process that holds the writer lease (waits up to `timeoutMilliseconds` for one). */
  async writer(timeoutMilliseconds = 15_000): Promise<ServerProcess> {
    const deadline = performance.now() + timeoutMilliseconds;
    for (;;) {
      for (const replica of this.alive()) {
        if (await isWriter(replica).catch(() => false)) return replica;
      }
      if (performance.now() > deadline) throw new Error('no replica took the writer lease');
      await sleep(100);
    }
  }

  /** Kills one process (SIGKILL: no clean-up at all) and forgets it. */
  async kill(replica: ServerProcess): Promise<void> {
    await stopServerProcess(replica, 'SIGKILL');
  }

  /**
   * Waits until every running process is at the same log position as the others and no higher position
   * appears for a moment, then returns their codebook files (the `encodeCodebook` bytes) by URL.
   */
  async converged(timeoutMilliseconds = 15_000): Promise<Map<string, Buffer>> {
    const deadline = performance.now() + timeoutMilliseconds;
    for (;;) {
      const positions = await Promise.all(this.alive().map((replica) => logPosition(replica)));
      if (new Set(positions).size === 1) {
        const files = new Map<string, Buffer>();
        for (const replica of this.alive()) files.set(replica.url, await codebookFile(replica));
        const again = await Promise.all(this.alive().map((replica) => logPosition(replica)));
        if (again.every((position) => position === positions[0])) return files;
      }
      if (performance.now() > deadline) throw new Error(`replicas did not converge: positions ${positions}`);
      await sleep(50);
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.alive().map((replica) => stopServerProcess(replica, 'SIGKILL')));
  }
}

/** What an edit request ended in: the acknowledged edit ids, or why not. */
export type EditOutcome =
  | {
      readonly acknowledged: true;
      readonly ids: string[];
      readonly logPosition: number;
      readonly replayed: boolean;
    }
  | { readonly acknowledged: false; readonly status: number | 'error' };

/**
 * Sends one edit request to the writer as a client behind a load balancer would: to a replica, following a
 * `NOT_WRITER` answer's `GRACE-Writer` address, retrying (with the same `Idempotency-Key`) on 503 or a broken
 * connection until `deadline` (a `performance.now()` time). Returns the last outcome; statuses seen go to `seen`.
 */
export async function editThroughFailover(
  set: ReplicaSet,
  body: unknown,
  idempotencyKey: string,
  deadline: number,
  seen: Map<string, number> = new Map(),
): Promise<EditOutcome> {
  let target: string | undefined;
  let outcome: EditOutcome = { acknowledged: false, status: 'error' };
  for (let attempt = 0; performance.now() < deadline; attempt++) {
    const alive = set.alive();
    const url = target ?? alive[attempt % Math.max(1, alive.length)]?.url;
    target = undefined;
    if (url === undefined) {
      await sleep(100);
      continue;
    }
    try {
      const response = await fetch(`${url}/v1/edits`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${benchmarkToken}`,
          'idempotency-key': idempotencyKey,
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
      seen.set(String(response.status), (seen.get(String(response.status)) ?? 0) + 1);
      if (response.ok) {
        const answer = (await response.json()) as { edits: { id: string }[]; logPosition: number };
        return {
          acknowledged: true,
          ids: answer.edits.map((edit) => edit.id),
          logPosition: answer.logPosition,
          replayed: response.headers.get('idempotent-replayed') === 'true',
        };
      }
      await response.body?.cancel();
      outcome = { acknowledged: false, status: response.status };
      if (response.status !== 503) return outcome;
      target = response.headers.get('grace-writer') ?? undefined;
    } catch {
      seen.set('error', (seen.get('error') ?? 0) + 1);
      outcome = { acknowledged: false, status: 'error' };
    }
    if (target === undefined) await sleep(100);
  }
  return outcome;
}

/** The process's log position, from `/readyz`. */
export async function logPosition(replica: ServerProcess): Promise<number> {
  const response = await fetch(`${replica.url}/readyz`, { signal: AbortSignal.timeout(5000) });
  return ((await response.json()) as { logPosition: number }).logPosition;
}

/** Its codebook file. */
export async function codebookFile(replica: ServerProcess): Promise<Buffer> {
  const response = await fetch(`${replica.url}/v1/codebook/file`, {
    headers: { authorization: `Bearer ${benchmarkToken}` },
    signal: AbortSignal.timeout(10_000),
  });
  return Buffer.from(await response.arrayBuffer());
}

/** Whether it holds the writer lease, from `/readyz`. */
async function isWriter(replica: ServerProcess): Promise<boolean> {
  const response = await fetch(`${replica.url}/readyz`, { signal: AbortSignal.timeout(5000) });
  return ((await response.json()) as { writer: boolean }).writer;
}

/** The inputs of every edit the log ever accepted (`GET /v1/edits?status=all`, page by page). */
export async function editHistoryInputs(replica: ServerProcess): Promise<string[]> {
  const inputs: string[] = [];
  for (let offset = 0; ; offset += 1000) {
    const response = await fetch(`${replica.url}/v1/edits?status=all&limit=1000&offset=${offset}`, {
      headers: { authorization: `Bearer ${benchmarkToken}` },
    });
    const page = (await response.json()) as { edits: { input: unknown }[] };
    inputs.push(...page.edits.map((edit) => JSON.stringify(edit.input)));
    if (page.edits.length < 1000) return inputs;
  }
}

export function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}
