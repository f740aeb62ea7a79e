/*
 * Preloaded (`node --require`) into the Agents Playground process, which has no --host option and would
 * otherwise listen on every interface: a listen() call without a host binds to 127.0.0.1 instead.
 */
import net from 'node:net';

// eslint-disable-next-line @typescript-eslint/unbound-method -- always called with .call/.apply and the server as `this`
const originalListen = net.Server.prototype.listen;

net.Server.prototype.listen = function listenOnLoopback(this: net.Server, ...args: unknown[]): net.Server {
  const [first, second] = args;
  if (
    typeof first === 'number' &&
    (second === undefined || typeof second === 'function' || typeof second === 'number')
  ) {
    // listen(port[, backlog][, callback]) → listen(port, '127.0.0.1'[, backlog][, callback])
    return (originalListen as (...a: unknown[]) => net.Server).call(this, first, '127.0.0.1', ...args.slice(1));
  }
  if (first !== null && typeof first === 'object' && !('host' in first) && !('path' in first)) {
    return (originalListen as (...a: unknown[]) => net.Server).call(
      this,
      { ...first, host: '127.0.0.1' },
      ...args.slice(1),
    );
  }
  return (originalListen as (...a: unknown[]) => net.Server).apply(this, args);
} as typeof net.Server.prototype.listen;
