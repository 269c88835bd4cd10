import { parentPort } from 'node:worker_threads';
import type { WorkerRequest, WorkerResponse } from './worker-client.js';

/** What a worker offers: methods by name, each answering with a (cloneable) result or a promise of one. */
export type WorkerMethods = Readonly<Record<string, (...args: never[]) => unknown>>;

/**
 * Answers a {@link WorkerClient}'s calls inside a worker thread, one at a time in arrival order (a method
 * that returns a promise finishes before the next message is handled), so the caller sees its calls run in
 * the order it made them.
 */
export function serveWorkerRequests(methods: WorkerMethods): void {
  const port = parentPort;
  if (port === null) throw new Error('serveWorkerRequests runs only inside a worker thread');
  let tail: Promise<void> = Promise.resolve();
  port.on('message', (request: WorkerRequest) => {
    tail = tail.then(async () => {
      let response: WorkerResponse;
      try {
        const method = methods[request.method];
        if (method === undefined) throw new Error(`no worker method ${request.method}`);
        response = { id: request.id, result: await method(...(request.args as never[])) };
      } catch (error) {
        response = { id: request.id, error: error instanceof Error ? error.message : String(error) };
      }
      port.postMessage(response);
    });
  });
}
