import { AuthError } from '@azure/msal-node';
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';
import { HttpTransportError } from '../http/httpClient';
import type { HttpClient } from '../http/httpClient';

/** msal-common's code for a failed request (ClientAuthErrorCodes.networkError); the providers map it to `upstreamUnavailable`. */
export const MSAL_NETWORK_ERROR = 'network_error';
/** msal-common's code for a body that is not JSON (ClientAuthErrorCodes.tokenParsingError). */
export const MSAL_TOKEN_PARSING_ERROR = 'token_parsing_error';

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * msal-node's `system.networkClient` on the product's HttpClient, so msal trusts the demo emulator's local CA
 * (HttpClient's extra CA) without NODE_EXTRA_CA_CERTS, and shares its pooling and timeouts. Behaves like
 * msal-node's own client: any HTTP status is returned with its parsed JSON body (msal reads the OAuth error from
 * it); transport failures and non-JSON bodies become msal `AuthError`s, with the original error as `cause`.
 */
export class MsalNetworkClient implements INetworkModule {
  constructor(
    private readonly http: HttpClient,
    private readonly timeoutMs: number = DEFAULT_TIMEOUT_MS,
  ) {}

  /** msal's GET: instance discovery and OpenID metadata. */
  sendGetRequestAsync<T>(url: string, options?: NetworkRequestOptions, timeout?: number): Promise<NetworkResponse<T>> {
    return this.send<T>('GET', url, options, timeout);
  }

  /** msal's POST: the token endpoint. */
  sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    return this.send<T>('POST', url, options, undefined);
  }

  private async send<T>(
    method: 'GET' | 'POST',
    url: string,
    options: NetworkRequestOptions | undefined,
    timeout: number | undefined,
  ): Promise<NetworkResponse<T>> {
    const correlationId = options?.correlationId ?? '';
    let response;
    try {
      response = await this.http.request({
        method,
        url,
        headers: options?.headers ?? {},
        ...(method === 'POST' ? { body: options?.body ?? '' } : {}),
        timeoutMs: timeout ?? this.timeoutMs,
      });
    } catch (err) {
      const kind = err instanceof HttpTransportError ? err.kind : 'network';
      throw withCause(
        new AuthError(MSAL_NETWORK_ERROR, correlationId, `identity provider request failed (${kind})`),
        err,
      );
    }
    let body: T;
    try {
      body = JSON.parse(response.body) as T;
    } catch (err) {
      throw withCause(
        new AuthError(
          MSAL_TOKEN_PARSING_ERROR,
          correlationId,
          `identity provider answered HTTP ${response.status} without JSON`,
        ),
        err,
      );
    }
    if (response.status >= 500 && !hasOAuthError(body)) {
      // A gateway's 502/503 page in JSON clothing: not an OAuth answer msal could read an error from.
      throw new AuthError(MSAL_NETWORK_ERROR, correlationId, `identity provider answered HTTP ${response.status}`);
    }
    return { headers: response.headers, body, status: response.status };
  }
}

function hasOAuthError(body: unknown): boolean {
  return typeof body === 'object' && body !== null && typeof (body as { error?: unknown }).error === 'string';
}

function withCause(error: AuthError, cause: unknown): AuthError {
  error.cause = cause;
  return error;
}
