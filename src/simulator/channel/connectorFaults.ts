/** A Bot Connector operation, as the emulator names it in records, faults and logs. */
export type ConnectorOperation = 'send' | 'reply' | 'update' | 'delete' | 'create' | 'members';

/** Statuses the emulated connector can be told to answer with: Teams' retryable ones (defender-api.md §11.1) and 401 (the bot's token refused, e.g. mid-rotation). */
export type ConnectorFaultStatus = 401 | 412 | 429 | 502 | 503 | 504;

/** Which requests a fault applies to; by default every send and reply, in any conversation. */
export interface ConnectorFaultOptions {
  operations?: ConnectorOperation[];
  conversationId?: string;
  /** Retry-After (seconds) on an injected 429; default 1. */
  retryAfterSeconds?: number;
}

/** An injected failure chosen for one request. */
export interface InjectedFault {
  status: ConnectorFaultStatus;
  retryAfterSeconds: number;
}

interface FaultRule {
  status: ConnectorFaultStatus;
  operations: ReadonlySet<ConnectorOperation>;
  conversationId: string | undefined;
  retryAfterSeconds: number;
  /** `count`: the next N matching requests; `share`: that fraction of matching requests, spread evenly. */
  mode: { kind: 'count'; remaining: number } | { kind: 'share'; share: number; credit: number };
}

const DEFAULT_OPERATIONS: ConnectorOperation[] = ['send', 'reply'];

/**
 * Fault injection for the connector. Shares are deterministic (error diffusion: a share of 0.25 fails every
 * fourth matching request), so a test never depends on luck. Rules are consulted in the order they were added.
 */
export class ConnectorFaults {
  private rules: FaultRule[] = [];

  /** The next `count` matching requests fail with `status`. */
  failNext(count: number, status: ConnectorFaultStatus, options: ConnectorFaultOptions = {}): void {
    this.rules.push(this.rule(status, options, { kind: 'count', remaining: count }));
  }

  /** `share` (0..1) of matching requests fail with `status`, until `clear()`. */
  failShare(share: number, status: ConnectorFaultStatus, options: ConnectorFaultOptions = {}): void {
    if (!(share >= 0 && share <= 1)) throw new RangeError('share must be between 0 and 1');
    this.rules.push(this.rule(status, options, { kind: 'share', share, credit: 0 }));
  }

  /** The fault for this request, if any rule picks it. */
  take(operation: ConnectorOperation, conversationId: string): InjectedFault | undefined {
    for (const rule of this.rules) {
      if (!rule.operations.has(operation)) continue;
      if (rule.conversationId !== undefined && rule.conversationId !== conversationId) continue;
      if (rule.mode.kind === 'count') {
        if (rule.mode.remaining <= 0) continue;
        rule.mode.remaining -= 1;
        return { status: rule.status, retryAfterSeconds: rule.retryAfterSeconds };
      }
      rule.mode.credit += rule.mode.share;
      if (rule.mode.credit >= 1 - 1e-9) {
        rule.mode.credit -= 1;
        return { status: rule.status, retryAfterSeconds: rule.retryAfterSeconds };
      }
    }
    return undefined;
  }

  clear(): void {
    this.rules = [];
  }

  private rule(status: ConnectorFaultStatus, options: ConnectorFaultOptions, mode: FaultRule['mode']): FaultRule {
    return {
      status,
      operations: new Set(options.operations ?? DEFAULT_OPERATIONS),
      conversationId: options.conversationId,
      retryAfterSeconds: options.retryAfterSeconds ?? 1,
      mode,
    };
  }
}
