/** Why the audit log refused or failed; callers treat every one as "the step was not audited". */
export type AuditErrorReason =
  /** The entry failed validation (unknown type, extra field, field too long…). */
  | 'invalidEntry'
  /** The serialised entry contains something shaped like a JWT: tokens never enter the trail. */
  | 'tokenInEntry'
  /** The file cannot be continued: its last line is not a valid entry, or a line read back is not one. */
  | 'corruptLog'
  /** A write or fsync failed earlier (the file may hold a partial line), or the log is closed or open twice. */
  | 'logUnavailable'
  /**
   * The shared log in Blob Storage did not answer, or every attempt lost a race with other instances: transient,
   * and the entry is not known to be recorded (callers answer "temporarily unavailable" and do not proceed).
   */
  | 'storageUnavailable';

/** The audit log's one error type. Messages name fields and lines, never the values that were refused. */
export class AuditError extends Error {
  override readonly name = 'AuditError';

  constructor(
    readonly reason: AuditErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** True when the audit trail's storage is out or overloaded (transient): the person is told to try again later. */
export function isAuditStorageUnavailable(error: unknown): boolean {
  return error instanceof AuditError && error.reason === 'storageUnavailable';
}
