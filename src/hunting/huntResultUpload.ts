import type { HttpClient } from '../http/httpClient';
import type { Logger } from '../logging/logger';
import { serializeError } from '../logging/logger';

/**
 * Puts a file into the OneDrive upload session Teams opened when the person allowed it (the `uploadUrl` of a
 * fileConsent/invoke): consecutive `PUT` ranges with `Content-Range: bytes start-end/total`, each a multiple of
 * 320 KiB but the last, as OneDrive's resumable upload requires. The URL is pre-authenticated: no token is sent.
 */
export interface CsvUploader {
  /** Bytes per range (a multiple of 320 KiB). */
  readonly fragmentBytes: number;
  /** True when every range was accepted and the session completed with exactly `totalBytes`. */
  upload(uploadUrl: string, fragments: AsyncIterable<Buffer>, totalBytes: number): Promise<boolean>;
}

/** OneDrive's unit for upload ranges. */
export const UPLOAD_RANGE_UNIT = 320 * 1024;

/** Uploads over the bot's HttpClient; every failure is logged (never the URL, which carries the session's secret). */
export class HttpCsvUploader implements CsvUploader {
  readonly fragmentBytes: number;
  private readonly timeoutMs: number;

  constructor(
    private readonly http: HttpClient,
    private readonly logger: Logger,
    options: { rangeUnits?: number; timeoutMs?: number } = {},
  ) {
    this.fragmentBytes = UPLOAD_RANGE_UNIT * (options.rangeUnits ?? 10);
    this.timeoutMs = options.timeoutMs ?? 60_000;
  }

  async upload(uploadUrl: string, fragments: AsyncIterable<Buffer>, totalBytes: number): Promise<boolean> {
    if (!isUploadUrl(uploadUrl)) {
      this.logger.warn('file upload refused: the upload URL is not https');
      return false;
    }
    let start = 0;
    for await (const fragment of fragments) {
      const end = start + fragment.length - 1;
      if (end >= totalBytes) {
        // The file came out longer than announced: stop before sending a range the session must refuse.
        this.logger.error({ totalBytes, end }, 'CSV larger than its announced size; upload abandoned');
        return false;
      }
      try {
        const response = await this.http.request({
          method: 'PUT',
          url: uploadUrl,
          headers: {
            'content-type': 'application/octet-stream',
            'content-range': `bytes ${start}-${end}/${totalBytes}`,
          },
          body: fragment,
          timeoutMs: this.timeoutMs,
        });
        const last = end === totalBytes - 1;
        const accepted = last ? response.status === 200 || response.status === 201 : response.status === 202;
        if (!accepted) {
          this.logger.warn({ status: response.status, start, end, totalBytes }, 'upload range refused');
          return false;
        }
      } catch (err) {
        this.logger.warn({ err: serializeError(err), start, end }, 'upload range failed');
        return false;
      }
      start = end + 1;
    }
    if (start !== totalBytes) {
      this.logger.error({ totalBytes, sent: start }, 'CSV shorter than its announced size; upload incomplete');
      return false;
    }
    return true;
  }
}

/** HTTPS anywhere; plain HTTP only to this machine (the channel emulator). */
function isUploadUrl(value: string): boolean {
  try {
    const url = new URL(value);
    if (url.protocol === 'https:') return true;
    return url.protocol === 'http:' && (url.hostname === '127.0.0.1' || url.hostname === 'localhost');
  } catch {
    return false;
  }
}
