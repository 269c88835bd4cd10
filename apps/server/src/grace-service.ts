import { randomUUID } from 'node:crypto';
import {
  type Codebook,
  decodeCodebook,
  encodeCodebook,
  type GraceBackend,
  type GraceEditor,
  isGraceError,
} from '@grace/core';
import type { AcceptedEdit, EditBatchResult, EditInput } from './accepted-edit.js';
import { cooperativeBackend } from './cooperative-backend.js';
import { type EditPage, listActiveEdits, listEditHistory } from './edit-listing.js';
import type { EditLogEntry, EditLogStore, LoggedEditSummary } from './edit-log-store.js';
import { answerFromLog } from './idempotent-answer.js';
import { InputError } from './input-error.js';
import { keyOwners } from './key-owners.js';
import { latestCheckpoint } from './latest-checkpoint.js';
import { LogPositionWaiters } from './log-position-waiters.js';
import type { PredictionPool, PublishedCodebook, ServedPrediction } from './prediction-pool.js';
import {
  applyLoggedEdit,
  codebookExpectations,
  copyCodebook,
  type EditHistoryItem,
  loadRestoredSnapshot,
  type ReplayedLog,
  recordHistory,
  replayEditLog,
} from './replay-edit-log.js';
import { SerialQueue } from './serial-queue.js';
import { servedEditor } from './served-editor.js';
import { type ServedLabel, type ServedModel, servedDimensions } from './served-model.js';
import { ServiceMetrics } from './service-metrics.js';
import { type Readiness, StoreGuard } from './store-guard.js';
import { trainLoggedEdit } from './train-logged-edit.js';
import { WorkerClient, workerScript } from './worker-client.js';
import { NotWriterError, soleWriter, type WriterRole } from './writer-role.js';

export type { AcceptedEdit, EditBatchResult, EditInput } from './accepted-edit.js';
export type { ServedPrediction } from './prediction-pool.js';

export interface GraceServiceOptions {
  readonly servedModel: ServedModel;
  readonly backend: GraceBackend;
  readonly store: EditLogStore;
  /** Overrides the served model's Adam iterations per edit (load tests seed many keys cheaply). */
  readonly trainingIterations?: number;
  /** A checkpoint is written after this many log entries since the last one (and after every rollback or
   * restore, the entries that are slow to replay); default 1,000. */
  readonly checkpointInterval?: number;
  /** A write waiting longer than this (milliseconds) makes the service unready and refuses edits; default 2,000. */
  readonly stalledWriteMilliseconds?: number;
  /** Where start-up warnings go (a skipped damaged checkpoint); default `console.warn`. */
  readonly warn?: (message: string) => void;
  /** Whether this process takes edits (replicas on a shared log take them only as the writer); default always. */
  readonly role?: WriterRole;
}

/**
 * The served model with its codebook, its durable log and its edit queue.
 *
 * Two editors share the model: the SERVING editor holds the last committed codebook (predictions read it,
 * through a {@link PredictionPool} of worker threads when one is attached); the TRAINING editor holds a working
 * copy that edits train against (on a {@link cooperativeBackend}, so the event loop keeps turning between Adam
 * iterations). An edit is trained on the working copy, its result appended to the log (durable), and only
 * then applied to the serving codebook from the logged delta — exactly what a restart's replay does. A
 * rollback is computed in a worker thread on a copy, logged, then swapped in. Every rollback or restore, and
 * every `checkpointInterval` entries, the codebook is checkpointed so a restart replays only the tail. On a
 * shared log only the writer (`role`) mutates; every process applies what others logged with {@link catchUp}.
 */
export class GraceService {
  readonly servedModel: ServedModel;
  readonly metrics = new ServiceMetrics();
  private readonly backend: GraceBackend;
  private readonly store: EditLogStore;
  private readonly options: GraceServiceOptions;
  private readonly queue = new SerialQueue();
  private readonly guard: StoreGuard;
  /** Whether this process takes edits now, and where the writer is. */
  readonly role: WriterRole;
  private readonly positionWaiters = new LogPositionWaiters();
  private readonly codebookWorker = new WorkerClient(workerScript('codebook-worker'), null);
  private serving: GraceEditor<unknown>;
  /** The working copy edits train on; made when the first edit comes (a copy costs seconds at 10,000 keys). */
  private trainingEditor: GraceEditor<unknown> | undefined;
  private position: number;
  private entriesSinceCheckpoint: number;
  private committedVersion = 0;
  private owners: { version: number; owners: Map<number, string> } | undefined;
  private pool: PredictionPool | undefined;
  private readonly history: Map<string, EditHistoryItem>;
  private readonly idempotency: Map<string, LoggedEditSummary[]>;
  /** What start-up replayed: the checkpoint it began from (null: the empty codebook) and the entries after it. */
  readonly startup: { readonly checkpointPosition: number | null; readonly replayedEntries: number };

  private constructor(
    options: GraceServiceOptions,
    replayed: ReplayedLog,
    checkpointPosition: number | null,
  ) {
    this.options = options;
    this.startup = { checkpointPosition, replayedEntries: replayed.replayedEntries };
    this.servedModel = options.servedModel;
    this.backend = options.backend;
    this.store = options.store;
    this.guard = new StoreGuard(options.store, options.stalledWriteMilliseconds ?? 2000);
    this.role = options.role ?? soleWriter;
    this.position = replayed.lastPosition;
    this.entriesSinceCheckpoint = replayed.replayedEntries;
    this.history = replayed.history;
    this.idempotency = replayed.idempotency;
    this.serving = this.makeEditor(replayed.codebook, this.backend);
  }

  /**
   * Opens the log and rebuilds its codebook without training: from the newest sound checkpoint plus the
   * entries after it. Writes a checkpoint at once when the tail was long or held rollbacks.
   */
  static async open(options: GraceServiceOptions): Promise<GraceService> {
    const { servedModel, store } = options;
    const { layerId, keyDimension, valueDimension } = servedDimensions(servedModel);
    // In this order: a store compares the identity it was written with as JSON.
    await store.open({ model: servedModel.name, layerId, keyDimension, valueDimension });
    const lastPosition = await store.lastPosition();
    const warn = options.warn ?? ((message: string) => console.warn(message));
    const checkpoint = await latestCheckpoint(servedModel, store, lastPosition, warn);
    // With vectors only the tail the codebook still needs, then the whole history without vectors (read
    // second, so on a shared log it covers at least the tail).
    const tail = await store.read(checkpoint?.position ?? 0);
    const summaries = await store.readSummaries();
    const replayed = await replayEditLog(servedModel, store, summaries, tail, checkpoint);
    const service = new GraceService(options, replayed, checkpoint?.position ?? null);
    service.checkpointLater(tail.some((entry) => entry.kind !== 'edit'));
    return service;
  }

  /** The committed codebook (read it, never change it). */
  get codebook(): Codebook {
    return this.serving.codebook;
  }

  /** The last log position the committed codebook includes. */
  get logPosition(): number {
    return this.position;
  }

  get queueDepth(): number {
    return this.queue.depth;
  }

  /** Slices of predictions waiting for a worker (0 without a pool). */
  get predictionQueueDepth(): number {
    return this.pool?.queued ?? 0;
  }

  /** Whether edits can be taken now, and if not why (for `/readyz`). */
  readiness(): Readiness {
    return this.guard.readiness();
  }

  /** Answers predictions in worker threads from now on (the pool reads {@link published}). */
  attachPredictionPool(pool: PredictionPool): void {
    this.pool = pool;
  }

  /** The committed codebook with its version and key owners, for prediction workers. */
  published(): PublishedCodebook {
    return { version: this.committedVersion, codebook: this.serving.codebook, owners: this.keyOwners() };
  }

  /** Predicts JSON inputs (refusing a bad one by its field); in the pool's workers when there is a pool. */
  async predictJson(inputs: readonly unknown[], client: string): Promise<ServedPrediction[]> {
    const modelInputs = inputs.map((json, index) => this.servedModel.toModelInput(json, `/inputs/${index}`));
    if (this.pool === undefined) return this.predict(modelInputs);
    const predictions = await this.pool.predict(client, inputs);
    this.metrics.predictions += inputs.length;
    return predictions;
  }

  /** Predicts model inputs on this thread, from the committed codebook. */
  async predict(inputs: readonly unknown[]): Promise<ServedPrediction[]> {
    const owners = this.keyOwners();
    const { labels, keyIndices } = await this.serving.predictWithDetails(inputs);
    this.metrics.predictions += inputs.length;
    return labels.map((label, index) => {
      const keyIndex = keyIndices[index] as number;
      return {
        label: label as ServedLabel,
        fired: keyIndex >= 0,
        keyIndex: keyIndex >= 0 ? keyIndex : null,
        editId: keyIndex >= 0 ? (owners.get(keyIndex) ?? null) : null,
      };
    });
  }

  /** Trains, logs and applies a batch of edits, all or nothing, behind every earlier mutation. */
  async edit(examples: readonly EditInput[]): Promise<AcceptedEdit[]> {
    return (await this.editOnce(examples)).edits;
  }

  /**
   * {@link edit}, at most once per `idempotencyKey`: a request whose key the log already holds is answered
   * from the log (`replayed`), so a client that retries after a lost answer never applies its edits twice.
   */
  editOnce(examples: readonly EditInput[], idempotencyKey?: string): Promise<EditBatchResult> {
    for (const [index, example] of examples.entries()) {
      if (!this.servedModel.labels.includes(example.label)) {
        throw new InputError('UNKNOWN_LABEL', `/edits/${index}/label`, 'is not a label of the model');
      }
    }
    // Refused at once, not queued behind a write that waits on the disk.
    this.ensureWritable();
    return this.queue.run(async () => {
      const logged = idempotencyKey === undefined ? undefined : this.idempotency.get(idempotencyKey);
      if (logged !== undefined) return { edits: answerFromLog(logged, examples), replayed: true };
      this.ensureWritable();
      return { edits: await this.editNow(examples, idempotencyKey), replayed: false };
    });
  }

  rollback(editId: string): Promise<{ id: string; keys: number }> {
    this.ensureWritable();
    return this.queue.run(async () => {
      if (!this.serving.codebook.records.some((record) => record.id === editId)) {
        throw new InputError('UNKNOWN_EDIT', '/id', `no active edit ${JSON.stringify(editId)}`, 404);
      }
      this.ensureWritable();
      const codebook = await this.rolledBack(editId);
      const entry: EditLogEntry = {
        kind: 'rollback',
        position: this.position + 1,
        time: new Date().toISOString(),
        editId,
      };
      await this.appendToLog([entry], () => this.replaceEditors(codebook));
      recordHistory(this.history, this.idempotency, entry);
      this.metrics.rollbacks++;
      this.checkpointLater(true);
      return { id: editId, keys: this.serving.codebook.size };
    });
  }

  /** Stores the committed codebook under a new id (unique by construction); a later restore logs that id. */
  snapshot(): Promise<{ id: string; logPosition: number; keys: number }> {
    this.ensureWritable();
    return this.queue.run(async () => {
      this.ensureWritable();
      const id = `snapshot-${this.position}-${randomUUID()}`;
      await this.guard.write((store) =>
        store.saveSnapshot({
          id,
          time: new Date().toISOString(),
          logPosition: this.position,
          codebook: encodeCodebook(this.serving.codebook),
        }),
      );
      return { id, logPosition: this.position, keys: this.serving.codebook.size };
    });
  }

  restore(snapshotId: string): Promise<{ id: string; keys: number }> {
    this.ensureWritable();
    return this.queue.run(async () => {
      this.ensureWritable();
      const snapshot = await this.store.loadSnapshot(snapshotId);
      if (snapshot === undefined) {
        throw new InputError('UNKNOWN_SNAPSHOT', '/id', `no snapshot ${JSON.stringify(snapshotId)}`, 404);
      }
      const codebook = decodeCodebook(snapshot.codebook, codebookExpectations(this.servedModel));
      const entry: EditLogEntry = {
        kind: 'restore',
        position: this.position + 1,
        time: new Date().toISOString(),
        snapshotId,
      };
      await this.appendToLog([entry], () => this.replaceEditors(codebook));
      this.metrics.restores++;
      this.checkpointLater(true);
      return { id: snapshotId, keys: codebook.size };
    });
  }

  /**
   * Reads the log after the committed position and applies it in order, behind every earlier mutation: a
   * replica following the writer, or a new writer catching up before it takes edits. Edits apply their
   * logged deltas, rollbacks and restores run as on the writer, so the codebook is the writer's, byte for byte.
   */
  catchUp(): Promise<number> {
    return this.queue.run(async () => {
      const entries = await this.store.read(this.position);
      for (const entry of entries) {
        if (entry.position !== this.position + 1) {
          throw new Error(`the edit log skips from ${this.position} to ${entry.position}`);
        }
        if (entry.kind === 'edit') {
          // Someone else's edit: a working copy made before it is stale.
          this.dropTrainingCopy();
          this.applyLoggedEdits([entry]);
        } else {
          const codebook =
            entry.kind === 'rollback'
              ? await this.rolledBack(entry.editId)
              : await loadRestoredSnapshot(this.servedModel, this.store, entry);
          this.replaceEditors(codebook);
          recordHistory(this.history, this.idempotency, entry);
        }
        this.advanceTo(entry.position, 1);
      }
      return entries.length;
    });
  }

  /** Resolves true once the committed codebook includes log position `position`, false after the timeout. */
  waitForLogPosition(position: number, timeoutMilliseconds: number): Promise<boolean> {
    return this.positionWaiters.wait(position, this.position, timeoutMilliseconds);
  }

  listSnapshots(): ReturnType<EditLogStore['listSnapshots']> {
    return this.store.listSnapshots();
  }

  /** Active edits, newest first. */
  listEdits(offset: number, limit: number): EditPage {
    return listActiveEdits(this.serving.codebook, this.history, offset, limit);
  }

  /** Every edit ever accepted, newest first, with its status (active, rolled-back, replaced). */
  listHistory(offset: number, limit: number): EditPage {
    return listEditHistory(this.serving.codebook, this.history, offset, limit);
  }

  /** Resolves when every mutation submitted so far has finished. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  async close(): Promise<void> {
    await this.queue.idle();
    this.serving.dispose();
    this.dropTrainingCopy();
    await this.codebookWorker.terminate();
    await this.store.close();
  }

  /** Appends durably, then `apply`s the entries to the committed codebook and moves the position past them. */
  private async appendToLog(entries: readonly EditLogEntry[], apply: () => void): Promise<void> {
    await this.guard.write((store) => store.append(entries));
    apply();
    this.advanceTo(entries.at(-1)?.position ?? this.position, entries.length);
  }

  private advanceTo(position: number, entries: number): void {
    this.entriesSinceCheckpoint += entries;
    this.position = position;
    this.positionWaiters.reached(position);
  }

  /** The committed codebook with `editId` rolled back, computed in a worker thread (never in place). */
  private async rolledBack(editId: string): Promise<Codebook> {
    const bytes = await this.codebookWorker.call<Uint8Array>(
      'rollback',
      encodeCodebook(this.serving.codebook),
      editId,
    );
    return decodeCodebook(bytes);
  }

  /** Refuses a mutation (503) on a replica that is not the writer, or while the log cannot be written. */
  private ensureWritable(): void {
    if (!this.role.isWriter()) throw new NotWriterError(this.role.writerAddress());
    this.guard.ensureWritable();
  }

  /** Queues a checkpoint of the committed codebook when due (or `now`), behind the running mutation. */
  private checkpointLater(now = false): void {
    const interval = this.options.checkpointInterval ?? 1000;
    // Only the writer checkpoints: replicas hold the same bytes at the same positions.
    if (!this.role.isWriter()) return;
    if (!now && this.entriesSinceCheckpoint < interval) return;
    if (this.entriesSinceCheckpoint === 0) return;
    this.entriesSinceCheckpoint = 0;
    void this.queue
      .run(() =>
        this.store.saveCheckpoint({
          position: this.position,
          codebook: encodeCodebook(this.serving.codebook),
        }),
      )
      .catch((error: unknown) => console.error(`checkpoint failed: ${String(error)}`));
  }

  private async editNow(examples: readonly EditInput[], idempotencyKey?: string): Promise<AcceptedEdit[]> {
    const started = performance.now();
    const entries: EditLogEntry[] = [];
    const accepted: AcceptedEdit[] = [];
    try {
      for (const example of examples) {
        const position = this.position + entries.length + 1;
        const trained = await trainLoggedEdit(this.training(), example, position, idempotencyKey);
        entries.push(trained.entry);
        accepted.push(trained.accepted);
      }
      await this.appendToLog(entries, () => this.applyLoggedEdits(entries));
    } catch (error) {
      // Nothing was acknowledged: the working copy goes back to the committed codebook.
      this.dropTrainingCopy();
      this.metrics.failedEdits += examples.length;
      if (isGraceError(error, 'INVALID_ARGUMENT') || isGraceError(error, 'SHAPE_MISMATCH')) {
        throw new InputError(error.code, '/edits', error.message);
      }
      throw error;
    }
    this.metrics.editSeconds += (performance.now() - started) / 1000;
    this.checkpointLater();
    return accepted;
  }

  /** Applies logged edits to the committed codebook from their deltas (no training), with their history. */
  private applyLoggedEdits(entries: readonly EditLogEntry[]): void {
    for (const entry of entries) {
      if (entry.kind !== 'edit') continue;
      applyLoggedEdit(this.serving.codebook, entry.edit, entry.time);
      recordHistory(this.history, this.idempotency, entry);
      this.metrics.countEdit(entry.edit.operation);
    }
    this.committedVersion++;
  }

  /** For each key, the id of the last active edit routed to it; cached per committed version. */
  private keyOwners(): ReadonlyMap<number, string> {
    if (this.owners?.version !== this.committedVersion) {
      this.owners = { version: this.committedVersion, owners: keyOwners(this.serving.codebook) };
    }
    return this.owners.owners;
  }

  private replaceEditors(codebook: Codebook): void {
    this.serving.dispose();
    this.dropTrainingCopy();
    this.serving = this.makeEditor(codebook, this.backend);
    this.committedVersion++;
  }

  /** The training editor over a copy of the committed codebook, made on first use. */
  private training(): GraceEditor<unknown> {
    this.trainingEditor ??= this.makeEditor(
      copyCodebook(this.serving.codebook),
      cooperativeBackend(this.backend),
    );
    return this.trainingEditor;
  }

  private dropTrainingCopy(): void {
    this.trainingEditor?.dispose();
    this.trainingEditor = undefined;
  }

  private makeEditor(codebook: Codebook, backend: GraceBackend): GraceEditor<unknown> {
    return servedEditor(this.servedModel, codebook, backend, this.options.trainingIterations);
  }
}
