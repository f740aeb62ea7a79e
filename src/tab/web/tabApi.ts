import type { TabError } from '../tabApiTypes';

/** A refused or failed tab API call: the HTTP status, the server's code and its words (safe to show). */
export class TabApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'TabApiError';
  }
}

/** Teams would not give a token (`authentication.getAuthToken` failed): no request was sent. */
export class TokenUnavailableError extends Error {
  constructor(cause: unknown) {
    super('Teams did not give the tab a token', { cause });
    this.name = 'TokenUnavailableError';
  }
}

/** A GET answer: the body and its ETag, or "not modified" when the ETag sent still matches. */
export type Fetched<T> = { modified: true; body: T; etag: string | undefined } | { modified: false };

/** Where the bearer comes from: `fresh` asks the host again instead of reusing the one in memory. */
export type TokenSource = (fresh: boolean) => Promise<string>;

/**
 * The only caller of `/api/tab/*`: every request carries the Teams SSO token as a bearer and the tab's language.
 * The token lives in this object's memory only (never storage, URL or console). A 401 gets a fresh token once;
 * a GET is then retried once, a POST or DELETE never (it may have been done).
 */
export class TabApi {
  private token: string | undefined;

  constructor(
    private readonly tokenSource: TokenSource,
    private readonly locale: string,
    private readonly fetchImpl: typeof fetch = (input, init) => fetch(input, init),
  ) {}

  /** GET JSON, with `If-None-Match` when an ETag is given (the server answers 304 when nothing changed). */
  async get<T>(path: string, etag?: string): Promise<Fetched<T>> {
    const response = await this.send('GET', path, undefined, etag);
    if (response.status === 304) return { modified: false };
    return { modified: true, body: (await response.json()) as T, etag: response.headers.get('ETag') ?? undefined };
  }

  /** POST a JSON body; answers the parsed JSON. */
  async post<T>(path: string, body: unknown): Promise<T> {
    const response = await this.send('POST', path, body);
    return (await response.json()) as T;
  }

  /** DELETE; answers nothing (204) or ignores the body. */
  async delete(path: string): Promise<void> {
    await this.send('DELETE', path);
  }

  /** GET a file (the audit export) as a Blob, with the bearer: a link could not carry it. */
  async download(path: string): Promise<Blob> {
    const response = await this.send('GET', path);
    return response.blob();
  }

  private async send(method: string, path: string, body?: unknown, etag?: string): Promise<Response> {
    let response = await this.once(method, path, body, etag, false);
    if (response.status === 401) {
      // One fresh token; only a GET is repeated (a POST may have happened before the 401 reached us).
      this.token = undefined;
      if (method !== 'GET') await this.bearer(true);
      else response = await this.once(method, path, body, etag, true);
    }
    if (response.status === 304 || response.ok) return response;
    throw await errorOf(response);
  }

  private async once(method: string, path: string, body: unknown, etag: string | undefined, fresh: boolean) {
    const headers: Record<string, string> = {
      Authorization: `Bearer ${await this.bearer(fresh)}`,
      'Accept-Language': this.locale,
      Accept: 'application/json',
    };
    if (etag) headers['If-None-Match'] = etag;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const init = {
      method,
      headers,
      body: body === undefined ? null : JSON.stringify(body),
      // No cookies: the bearer is the only identity. No HTTP cache either: the ETag this client keeps decides
      // what is fresh, and an answer meant for one viewer must not be served from the browser's cache.
      credentials: 'omit',
      cache: 'no-store',
    } as RequestInit;
    return this.fetchImpl(path, init);
  }

  private async bearer(fresh: boolean): Promise<string> {
    if (fresh || this.token === undefined) {
      try {
        this.token = await this.tokenSource(fresh);
      } catch (error) {
        throw new TokenUnavailableError(error);
      }
    }
    return this.token;
  }
}

async function errorOf(response: Response): Promise<TabApiError> {
  try {
    const body = (await response.json()) as Partial<TabError>;
    if (body.error && typeof body.error.message === 'string') {
      return new TabApiError(response.status, String(body.error.code), body.error.message);
    }
  } catch {
    // Not JSON: fall through to a status-only error.
  }
  return new TabApiError(response.status, `http${response.status}`, '');
}
