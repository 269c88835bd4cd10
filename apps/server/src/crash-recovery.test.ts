import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Codebook, decodeCodebook, encodeCodebook } from '@grace/core';
import { afterAll, describe, expect, it } from 'vitest';

const serverCli = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'server-cli.js');
const token = 'crash-test-token-0123456789';

interface ServerProcess {
  readonly child: ChildProcess;
  readonly url: string;
}

/** Starts the built server as its own process and waits for its `listening on` line. */
function startServer(dataDirectory: string): Promise<ServerProcess> {
  const child = spawn(
    process.execPath,
    [
      serverCli,
      '--model',
      'synthetic',
      '--port',
      '0',
      '--data-dir',
      dataDirectory,
      '--training-iterations',
      '40',
    ],
    { env: { ...process.env, GRACE_TOKEN: token }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 30_000);
    const read = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match !== null) {
        clearTimeout(timer);
        resolve({ child, url: match[1] as string });
      }
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
    child.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${output}`)));
  });
}

async function codebookFile(url: string): Promise<Uint8Array> {
  const response = await fetch(`${url}/v1/codebook/file`, { headers: { authorization: `Bearer ${token}` } });
  return new Uint8Array(await response.arrayBuffer());
}

describe('a server killed in the middle of a stream of edits', () => {
  const directory = mkdtempSync(join(tmpdir(), 'grace-crash-'));
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const child of children) child.kill('SIGKILL');
    rmSync(directory, { recursive: true, force: true });
  });

  it('keeps every acknowledged edit and nothing half-applied after SIGKILL and restart', async () => {
    const first = await startServer(directory);
    children.push(first.child);
    const acknowledged: string[] = [];
    const stream = (async () => {
      for (let index = 0; ; index++) {
        // Spread far apart so most edits add a key; every third one lands near an earlier one (EXPAND/SPLIT).
        const x = index % 3 === 2 ? (index - 1) * 1.5 + 0.6 : index * 1.5;
        const response = await fetch(`${first.url}/v1/edits`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ edits: [{ input: [x, (index % 5) - 2], label: index % 2 }] }),
        });
        const { edits } = (await response.json()) as { edits: { id: string }[] };
        acknowledged.push(...edits.map((edit) => edit.id));
      }
    })().catch(() => undefined); // the connection dies with the process
    while (acknowledged.length < 12) await new Promise((resolve) => setTimeout(resolve, 5));
    first.child.kill('SIGKILL');
    await stream;
    expect(first.child.signalCode ?? 'SIGKILL').toBe('SIGKILL');

    const second = await startServer(directory);
    children.push(second.child);
    const recovered = decodeCodebook(await codebookFile(second.url));
    const recoveredIds = recovered.records.map((record) => record.id);
    // Every acknowledged edit is there, in order; at most the one in flight was committed unacknowledged.
    expect(recoveredIds.slice(0, acknowledged.length)).toEqual(acknowledged);
    expect(recoveredIds.length - acknowledged.length).toBeLessThanOrEqual(1);
    // Nothing half-applied: replaying the recovered records one by one rebuilds exactly the same codebook.
    const rebuilt = new Codebook(recovered.options);
    for (const record of recovered.records) {
      rebuilt.applyEdit(
        { query: record.query, label: record.label, id: record.id, time: new Date(record.time) },
        { value: record.value, loss: record.loss },
      );
    }
    expect(Buffer.from(encodeCodebook(rebuilt)).equals(Buffer.from(encodeCodebook(recovered)))).toBe(true);
    // And every further restart replays the log to the identical bytes.
    const beforeRestart = await codebookFile(second.url);
    second.child.kill('SIGKILL');
    const third = await startServer(directory);
    children.push(third.child);
    expect(Buffer.from(await codebookFile(third.url)).equals(Buffer.from(beforeRestart))).toBe(true);
    third.child.kill('SIGTERM');
  }, 90_000);
});
