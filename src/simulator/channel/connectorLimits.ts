import type { RateWindow } from './slidingWindowLog';

/** The Bot Connector's throttling, as the emulator enforces it (answers 429 `Throttled` with Retry-After). */
export interface ConnectorLimits {
  /** Per conversation, for the bot's message writes: send, reply and update (delete is not counted). */
  perConversation: RateWindow[];
  /** Per conversation (1:1 chat, or channel for a new thread), for create conversation. */
  createConversation: RateWindow[];
  /** Per app, over every accepted request. */
  global: RateWindow[];
}

/** Teams' per bot per thread limits (defender-api.md §11.1): 7/1 s, 8/2 s, 60/30 s, 1800/3600 s. */
export const TEAMS_THREAD_LIMITS: readonly RateWindow[] = [
  { windowMs: 1_000, max: 7 },
  { windowMs: 2_000, max: 8 },
  { windowMs: 30_000, max: 60 },
  { windowMs: 3_600_000, max: 1_800 },
];

/**
 * Teams' limits: per thread for sends and creates, and the global per-app limit of the current Learn page
 * (50 RPS; an older copy says 30 — §11.1 — so a bot should be designed for less).
 */
export const TEAMS_CONNECTOR_LIMITS: ConnectorLimits = {
  perConversation: [...TEAMS_THREAD_LIMITS],
  createConversation: [...TEAMS_THREAD_LIMITS],
  global: [{ windowMs: 1_000, max: 50 }],
};
