/**
 * A redirect target on this machine (http or https, 127.0.0.1, [::1] or localhost), else undefined: the
 * emulator's consent and authorize routes must never become open redirectors.
 */
export function loopbackRedirect(value: string | null | undefined): URL | undefined {
  if (!value) return undefined;
  try {
    const url = new URL(value);
    const loopback = ['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname);
    return loopback && (url.protocol === 'https:' || url.protocol === 'http:') ? url : undefined;
  } catch {
    return undefined;
  }
}
