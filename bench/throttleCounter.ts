import { Writable } from 'node:stream';

/**
 * A destination for the simulator's request log that counts the 429s Defender answered: the benchmarks read
 * throttling from the service's own record, not from what the bot believes it sent.
 */
export function throttleCounter(): { log: Writable; throttled(): number } {
  let throttled = 0;
  const log = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.includes('"defender api request"') && line.includes('"status":429')) throttled++;
      }
      done();
    },
  });
  return { log, throttled: () => throttled };
}
