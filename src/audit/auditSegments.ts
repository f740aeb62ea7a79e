/**
 * What the shared audit chain needs from its storage: numbered append-only segments (Azure append blobs in
 * production, src/storage/auditAppendBlob.ts). Owned here so the chain logic does not know the SDK.
 */
export interface AuditSegments {
  /** A short description for logs and errors (never a connection string). */
  readonly description: string;
  /** Indices of the existing segments, ascending (1, 2, 3…). */
  list(): Promise<number[]>;
  /** Size, committed block count and seal of one segment; undefined if it does not exist. */
  stat(segment: number): Promise<SegmentState | undefined>;
  /** `count` bytes from `offset` (the caller asks only for bytes it knows exist). */
  readRange(segment: number, offset: number, count: number): Promise<Buffer>;
  /** The whole segment, streamed in chunks, as it is when the read starts. */
  readAll(segment: number): AsyncIterable<Buffer>;
  /** Creates an empty segment unless it exists (create-only: exactly one of several racing creators creates it). */
  create(segment: number): Promise<'created' | 'exists'>;
  /** Makes a segment refuse further appends (idempotent), so nothing lands behind its successor's first entry. */
  seal(segment: number): Promise<void>;
  /**
   * Appends `data` as one block, only if the segment is exactly `position` bytes long. A refused condition is an
   * answer; a failure without an answer throws (the block may or may not have landed: the caller checks).
   */
  append(segment: number, data: Buffer, position: number): Promise<AppendOutcome>;
}

/** A segment's state as the store reports it. */
export interface SegmentState {
  length: number;
  /** Committed blocks: one per entry, so also the segment's entry count. */
  blocks: number;
  sealed: boolean;
}

/** How a conditional append was answered. */
export type AppendOutcome =
  /** Landed; the segment's new size and block count. */
  | { kind: 'appended'; length: number; blocks: number }
  /** Someone else appended first: the segment is no longer `position` bytes long. */
  | { kind: 'positionTaken' }
  /** The segment is sealed or at the block limit: the chain continues in the next segment. */
  | { kind: 'segmentClosed' };
