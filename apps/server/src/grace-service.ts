import {
  type Codebook,
  decodeCodebook,
  type EditOperation,
  encodeCodebook,
  type GraceBackend,
  GraceEditor,
  isGraceError,
} from '@grace/core';
import { cooperativeBackend } from './cooperative-backend.js';
import type { EditLogEntry, EditLogStore, LoggedEdit } from './edit-log-store.js';
import { InputError } from './input-error.js';
import {
  applyLoggedEdit,
  copyCodebook,
  type EditHistoryItem,
  historyItem,
  replayEditLog,
} from './replay-edit-log.js';
import { SerialQueue } from './serial-queue.js';
import type { ServedLabel, ServedModel } from './served-model.js';
import { ServiceMetrics } from './service-metrics.js';

export interface GraceServiceOptions {
  readonly servedModel: ServedModel;
  readonly backend: GraceBackend;
  readonly store: EditLogStore;
  /** Overrides the served model's Adam iterations per edit (load tests seed many keys cheaply). */
  readonly trainingIterations?: number;
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

/** One correction: a model input (already converted from JSON) and the label it should get. */
export interface EditInput {
  readonly input: unknown;
  readonly json: unknown;
  readonly label: ServedLabel;
}

export interface AcceptedEdit {
  readonly id: string;
  readonly operation: EditOperation;
  readonly keyIndex: number;
  readonly loss: readonly number[];
  /** Whether the model now gives the label for this input. */
  readonly fixed: boolean;
  readonly milliseconds: number;
}

/**
 * The served model with its codebook, its durable log and its edit queue.
 *
 * Two editors share the model: the SERVING editor answers predictions from the last committed codebook; the
 * TRAINING editor holds a working copy that edits train against (on a {@link cooperativeBackend}, so
 * predictions keep being answered between Adam iterations). An edit is trained on the working copy, its
 * result is appended to the log (durable), and only then applied to the serving codebook from the logged
 * delta — exactly what a restart's replay does — so what clients see is always a state the log can rebuild.
 * If anything fails before the append, the working copy is rebuilt from the serving codebook and nothing
 * is acknowledged.
 */
export class GraceService {
  readonly servedModel: ServedModel;
  readonly metrics = new ServiceMetrics();
  private readonly backend: GraceBackend;
  private readonly store: EditLogStore;
  private readonly trainingIterations: number | undefined;
  private readonly queue = new SerialQueue();
  private serving: GraceEditor<unknown>;
  private training: GraceEditor<unknown>;
  private position: number;
  /** Every edit ever accepted, by id, in log order; rolled-back ones too. */
  private readonly history: Map<string, EditHistoryItem>;
  private owners:
    | { readonly codebook: Codebook; readonly version: number; readonly owners: Map<number, string> }
    | undefined;

  private constructor(
    options: GraceServiceOptions,
    codebook: Codebook,
    position: number,
    history: Map<string, EditHistoryItem>,
  ) {
    this.servedModel = options.servedModel;
    this.backend = options.backend;
    this.store = options.store;
    this.trainingIterations = options.trainingIterations;
    this.position = position;
    this.history = history;
    this.serving = this.makeEditor(codebook, this.backend);
    this.training = this.makeEditor(copyCodebook(codebook), cooperativeBackend(this.backend));
  }

  /** Opens the log and replays it into the codebook it describes (no training). */
  static async open(options: GraceServiceOptions): Promise<GraceService> {
    const { model } = options.servedModel;
    await options.store.open({
      model: options.servedModel.name,
      layerId: model.layerId,
      keyDimension: model.keyDimension,
      valueDimension: model.valueDimension,
    });
    const entries = await options.store.read();
    const replayed = await replayEditLog(options.servedModel, options.store, entries);
    return new GraceService(options, replayed.codebook, replayed.lastPosition, replayed.history);
  }

  /** The committed codebook (read it, never change it). */
  get codebook(): Codebook {
    return this.serving.codebook;
  }

  get queueDepth(): number {
    return this.queue.depth;
  }

  async predict(inputs: readonly unknown[]): Promise<ServedPrediction[]> {
    const codebook = this.serving.codebook;
    const { labels, keyIndices } = await this.serving.predictWithDetails(inputs);
    const owners = this.keyOwners(codebook);
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
  edit(examples: readonly EditInput[]): Promise<AcceptedEdit[]> {
    for (const [index, example] of examples.entries()) {
      if (!this.servedModel.labels.includes(example.label)) {
        throw new InputError('UNKNOWN_LABEL', `/edits/${index}/label`, 'is not a label of the model');
      }
    }
    return this.queue.run(() => this.editNow(examples));
  }

  rollback(editId: string): Promise<{ id: string; keys: number }> {
    return this.queue.run(async () => {
      if (!this.serving.codebook.records.some((record) => record.id === editId)) {
        throw new InputError('UNKNOWN_EDIT', '/id', `no active edit ${JSON.stringify(editId)}`, 404);
      }
      const entry: EditLogEntry = {
        kind: 'rollback',
        position: this.position + 1,
        time: new Date().toISOString(),
        editId,
      };
      await this.store.append([entry]);
      this.position = entry.position;
      this.serving.codebook.rollback(editId);
      this.training.codebook.rollback(editId);
      const item = this.history.get(editId);
      if (item !== undefined) item.rolledBackAt = entry.time;
      this.metrics.rollbacks++;
      return { id: editId, keys: this.serving.codebook.size };
    });
  }

  /** Stores the committed codebook under a new id; a later restore logs that id. */
  snapshot(): Promise<{ id: string; logPosition: number; keys: number }> {
    return this.queue.run(async () => {
      const id = `snapshot-${this.position}-${Date.now().toString(36)}`;
      const codebook = encodeCodebook(this.serving.codebook);
      await this.store.saveSnapshot({
        id,
        time: new Date().toISOString(),
        logPosition: this.position,
        codebook,
      });
      return { id, logPosition: this.position, keys: this.serving.codebook.size };
    });
  }

  restore(snapshotId: string): Promise<{ id: string; keys: number }> {
    return this.queue.run(async () => {
      const snapshot = await this.store.loadSnapshot(snapshotId);
      if (snapshot === undefined) {
        throw new InputError('UNKNOWN_SNAPSHOT', '/id', `no snapshot ${JSON.stringify(snapshotId)}`, 404);
      }
      const codebook = decodeCodebook(snapshot.codebook, this.serving.codebook.options);
      const entry: EditLogEntry = {
        kind: 'restore',
        position: this.position + 1,
        time: new Date().toISOString(),
        snapshotId,
      };
      await this.store.append([entry]);
      this.position = entry.position;
      this.replaceEditors(codebook);
      this.metrics.restores++;
      return { id: snapshotId, keys: codebook.size };
    });
  }

  listSnapshots(): ReturnType<EditLogStore['listSnapshots']> {
    return this.store.listSnapshots();
  }

  /** Active edits, newest first. */
  listEdits(offset: number, limit: number): { total: number; edits: object[] } {
    const records = this.serving.codebook.records;
    const page = records
      .slice()
      .reverse()
      .slice(offset, offset + limit);
    return {
      total: records.length,
      edits: page.map((record) => ({
        id: record.id,
        sequence: record.sequence,
        time: record.time,
        label: record.label,
        operation: record.operation,
        keyIndex: record.keyIndex,
        distance: record.distance,
        finalLoss: record.loss.at(-1) ?? null,
        input: this.history.get(record.id)?.input ?? null,
      })),
    };
  }

  /**
   * Every edit ever accepted, newest first, with its status: `active`, `rolled-back`, or `replaced` (dropped by
   * a snapshot restore).
   */
  listHistory(offset: number, limit: number): { total: number; edits: object[] } {
    const active = new Set(this.serving.codebook.records.map((record) => record.id));
    const items = [...this.history.values()].reverse();
    return {
      total: items.length,
      edits: items.slice(offset, offset + limit).map((item) => ({
        ...item,
        status: active.has(item.id) ? 'active' : item.rolledBackAt !== null ? 'rolled-back' : 'replaced',
      })),
    };
  }

  /** Resolves when every mutation submitted so far has finished. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  async close(): Promise<void> {
    await this.queue.idle();
    this.serving.dispose();
    this.training.dispose();
    await this.store.close();
  }

  private async editNow(examples: readonly EditInput[]): Promise<AcceptedEdit[]> {
    const started = performance.now();
    const entries: EditLogEntry[] = [];
    const accepted: AcceptedEdit[] = [];
    try {
      for (const example of examples) {
        const position = this.position + entries.length + 1;
        const id = `edit-${position}`;
        const result = await this.training.edit({ input: example.input, label: example.label, id });
        const { record } = result;
        const edit: LoggedEdit = {
          editId: id,
          label: example.label,
          query: record.query,
          value: record.value,
          operation: record.operation,
          keyIndex: record.keyIndex,
          loss: record.loss,
          ...(record.inputDigest === undefined ? {} : { inputDigest: record.inputDigest }),
          input: example.json,
        };
        entries.push({ kind: 'edit', position, time: record.time, edit });
        accepted.push({
          id,
          operation: record.operation,
          keyIndex: record.keyIndex,
          loss: record.loss,
          fixed: result.fixed,
          milliseconds: result.milliseconds,
        });
      }
      await this.store.append(entries);
    } catch (error) {
      // Nothing was acknowledged: the working copy goes back to the committed codebook.
      this.training.dispose();
      this.training = this.makeEditor(copyCodebook(this.serving.codebook), cooperativeBackend(this.backend));
      this.metrics.failedEdits += examples.length;
      if (isGraceError(error, 'INVALID_ARGUMENT') || isGraceError(error, 'SHAPE_MISMATCH')) {
        throw new InputError(error.code, '/edits', error.message);
      }
      throw error;
    }
    for (const entry of entries) {
      if (entry.kind !== 'edit') continue;
      applyLoggedEdit(this.serving.codebook, entry.edit, entry.time);
      this.history.set(entry.edit.editId, historyItem(entry.edit, entry.time));
      this.metrics.countEdit(entry.edit.operation);
    }
    this.position += entries.length;
    this.metrics.editSeconds += (performance.now() - started) / 1000;
    return accepted;
  }

  /** For each key, the id of the last active edit routed to it; cached per codebook version. */
  private keyOwners(codebook: Codebook): ReadonlyMap<number, string> {
    if (this.owners?.codebook !== codebook || this.owners.version !== codebook.version) {
      this.owners = { codebook, version: codebook.version, owners: keyOwners(codebook) };
    }
    return this.owners.owners;
  }

  private replaceEditors(codebook: Codebook): void {
    this.serving.dispose();
    this.training.dispose();
    this.serving = this.makeEditor(codebook, this.backend);
    this.training = this.makeEditor(copyCodebook(codebook), cooperativeBackend(this.backend));
  }

  private makeEditor(codebook: Codebook, backend: GraceBackend): GraceEditor<unknown> {
    const { editorOptions, model } = this.servedModel;
    const training =
      this.trainingIterations === undefined
        ? editorOptions.training
        : { ...editorOptions.training, iterations: this.trainingIterations };
    return new GraceEditor(model, {
      ...editorOptions,
      ...(training === undefined ? {} : { training }),
      backend,
      codebook,
    });
  }
}

/** For each key, the id of the last active edit routed to it (whose training produced its value). */
function keyOwners(codebook: Codebook): Map<number, string> {
  const owners = new Map<number, string>();
  for (const record of codebook.records) owners.set(record.keyIndex, record.id);
  return owners;
}
