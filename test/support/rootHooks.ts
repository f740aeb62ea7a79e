import { setSharedLogDestination } from '../../src/logging/logger';
import { captureStream, capturedLogLines } from './testApp';

/** A JWT anywhere in a line: what must never be logged (SSO assertions, Defender and bot tokens). */
export const JWT_IN_TEXT = /eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/;

/**
 * Mocha root hooks: every logger any test creates writes into one capture, and after the whole suite the
 * capture is scanned — a token in any log line of any test fails the run.
 */
export const mochaHooks = {
  beforeAll(): void {
    setSharedLogDestination(captureStream());
  },
  afterAll(): void {
    const leaks = capturedLogLines.filter(
      (line) => JWT_IN_TEXT.test(line) || /client_secret=|"clientSecret":"[^[]/.test(line),
    );
    if (leaks.length > 0) {
      throw new Error(`${leaks.length} log line(s) contain a token or secret, e.g.: ${leaks[0]!.slice(0, 200)}`);
    }
  },
};
