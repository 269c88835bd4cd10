import { ServiceUnavailableError } from './service-unavailable-error.js';

/**
 * Whether this process takes edits now. A single server always does; a replica on a shared PostgreSQL log
 * does only while it holds the writer lease, and otherwise names the process that does.
 */
export interface WriterRole {
  isWriter(): boolean;
  /** The writer's advertised base URL as last seen, or null when none is known. */
  writerAddress(): string | null;
}

/** The role of a server that is the only one on its log. */
export const soleWriter: WriterRole = { isWriter: () => true, writerAddress: () => null };

/**
 * The 503 a replica answers a mutation with: `NOT_WRITER`, the writer's address in the message and in the
 * `GRACE-Writer` header (absent while no writer is known, e.g. during a failover), `Retry-After: 1`.
 */
export class NotWriterError extends ServiceUnavailableError {
  readonly writer: string | null;

  constructor(writer: string | null) {
    super(
      'NOT_WRITER',
      writer === null
        ? 'this replica does not take edits and no writer holds the lease right now (failover); retry shortly'
        : `this replica does not take edits; send them to the writer at ${writer}`,
      1,
      writer === null ? {} : { 'grace-writer': writer },
    );
    this.writer = writer;
  }
}
