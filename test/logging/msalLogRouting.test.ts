import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { LogLevel } from '@azure/msal-node';
import { msalLogRouter } from '../../src/auth/msalConfiguration';
import { createLogger } from '../../src/logging/logger';

/** A logger at debug whose lines land in `lines` as parsed JSON. */
function capturingLogger(lines: Record<string, unknown>[]) {
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return createLogger({ level: 'debug', destination });
}

describe('msal log routing', () => {
  const prefix = '[Mon, 07 Dec 2026 02:00:00 GMT] : [corr-1] : @azure/msal-node@3.8.0 : ';

  it('keeps the client-credentials "No client info" warning off the terminal (debug), other warnings at warn', () => {
    const lines: Record<string, unknown>[] = [];
    const route = msalLogRouter(capturingLogger(lines));
    route(LogLevel.Warning, `${prefix}Warning - No client info in response`, false);
    route(LogLevel.Warning, `${prefix}Warning - the authority metadata is stale`, false);
    assert.deepEqual(
      lines.map((l) => [l.level, String(l.msal).replace(prefix, '')]),
      [
        ['debug', 'Warning - No client info in response'],
        ['warn', 'Warning - the authority metadata is stale'],
      ],
    );
  });

  it('logs msal errors at debug (the providers log each failure once) and drops lines with personal data', () => {
    const lines: Record<string, unknown>[] = [];
    const route = msalLogRouter(capturingLogger(lines));
    route(LogLevel.Error, `${prefix}Error - invalid_grant`, false);
    route(LogLevel.Warning, `${prefix}Warning - user adele@contoso.com`, true);
    assert.deepEqual(
      lines.map((l) => l.level),
      ['debug'],
    );
  });
});
