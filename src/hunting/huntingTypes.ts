import type { CommandContext, Reply } from '../commands/commandContext';
import type { ConversationPort } from '../commands/responseActions';

/**
 * The contract between running a hunt (saved hunts, ad-hoc KQL, Graph `runHuntingQuery`: src/hunting/runHunt*,
 * src/graph/huntingClient.ts) and presenting its answer (stored results, result cards, paging, sorting, CSV:
 * src/hunting/huntResult*). Both sides import only this file from each other.
 */

/** One column of an answer's `schema` (Graph spells it `name/type` or `Name/Type`; read case-insensitively). */
export interface HuntingColumn {
  name: string;
  /** The KQL type as Graph reports it: DateTime, String, Int32, Int64, Boolean, Double, Object (others kept as is). */
  type: string;
}

/** One result row as Graph returns it: values keyed by column name. */
export type HuntingResultRow = Readonly<Record<string, unknown>>;

/**
 * A `runHuntingQuery` answer read as a stream, so 100,000 rows never sit in memory at once. `rows` may be iterated
 * once. `columns()` is known once the response's `schema` has been read (before or after the rows: the document
 * does not fix the order, so it resolves at the latest when `rows` ends).
 */
export interface HuntingAnswer {
  rows: AsyncIterable<HuntingResultRow>;
  columns(): Promise<HuntingColumn[]>;
}

/** What was asked, for the result card's header, the audit and re-running. */
export interface HuntRequest {
  /** A saved hunt's name ("processes-on-device"), or undefined for ad-hoc KQL. */
  huntName?: string | undefined;
  /** The title shown on the card ("Processes on ws-fin-042, last 24 hours"), in the viewer's language. */
  title: string;
  /** The exact KQL sent (parameters already inserted as escaped literals). */
  query: string;
  /** ISO-8601 `Timespan` sent with the query, if any. */
  timespan?: string | undefined;
}

/** Measured around one `runHuntingQuery` call, shown on the result card. */
export interface HuntTiming {
  /** Wall time from sending the query to the last row read. */
  elapsedMs: number;
  /** Hunting calls this bot made in this tenant in the current minute / hour, beside the documented 45 and 1,500. */
  callsThisMinute: number;
  callsThisHour: number;
}

/**
 * Turns an answer into what the viewer sees: stores the rows (bounded memory, per viewer, expiring) and answers
 * with the first page card. Implemented by the results side; the running side calls it once per hunt.
 */
export interface HuntResultPresenter {
  present(
    ctx: CommandContext,
    conversation: ConversationPort | undefined,
    request: HuntRequest,
    answer: HuntingAnswer,
    timing: () => HuntTiming,
  ): Promise<Reply>;
}
