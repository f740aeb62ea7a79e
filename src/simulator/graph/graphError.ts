import { randomUUID } from 'node:crypto';

/** The wire shape of a Microsoft Graph error (defender-api.md §7.3). */
export interface GraphErrorBody {
  error: {
    code: string;
    message: string;
    innerError: { date: string; 'request-id': string; 'client-request-id': string };
  };
}

/** A Graph request the simulator refuses; thrown by handlers and turned into a response in one place. */
export class GraphApiError extends Error {
  override readonly name = 'GraphApiError';

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  /** Graph's body: `innerError` echoes the caller's client-request-id (a fresh one when it sent none). */
  toBody(now: Date, clientRequestId: string | undefined): GraphErrorBody {
    const requestId = randomUUID();
    return {
      error: {
        code: this.code,
        message: this.message,
        innerError: {
          date: now.toISOString().replace(/\.\d{3}Z$/, ''),
          'request-id': requestId,
          'client-request-id': clientRequestId ?? requestId,
        },
      },
    };
  }
}
