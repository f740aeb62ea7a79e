import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendJson } from '../simHttp';

/*
 * The OneDrive upload sessions Teams opens when a person allows a file a bot offered (the `uploadInfo` of a
 * fileConsent/invoke), emulated: each session has a pre-authenticated `uploadUrl` accepting `PUT` ranges with
 * `Content-Range: bytes start-end/total` in order, each a multiple of 320 KiB but the last; `202` with
 * `nextExpectedRanges` until the last range, then `201` with the file's item. A wrong total size, a range out of
 * order, a badly sized range or an expired session is refused as OneDrive refuses it, and the session learns nothing.
 */

/** OneDrive's unit for upload ranges. */
const RANGE_UNIT = 320 * 1024;
/** Largest range OneDrive accepts in one request. */
const MAX_RANGE_BYTES = 60 * 1024 * 1024;
const UPLOAD_PATH = '/_upload/';

/** What Teams puts in a fileConsent/invoke's `uploadInfo`. */
export interface UploadInfo {
  name: string;
  uploadUrl: string;
  contentUrl: string;
  uniqueId: string;
  fileType: string;
}

interface Session {
  info: UploadInfo;
  size: number;
  expiresAt: number;
  received: Buffer[];
  next: number;
  complete: boolean;
  /** Ranges refused, for tests. */
  refusals: number;
}

/** Upload sessions served under `${baseUrl}/_upload/…`. */
export class FileUploadSessions {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly baseUrl: string,
    private readonly now: () => Date = () => new Date(),
    private readonly ttlMs = 15 * 60_000,
  ) {}

  /** Opens a session for a file the person allowed (Teams learns the size from the consent card). */
  open(name: string, sizeInBytes: number): UploadInfo {
    const uniqueId = randomBytes(12).toString('hex');
    const fileType = name.includes('.') ? (name.split('.').pop() ?? '') : '';
    const info: UploadInfo = {
      name,
      uploadUrl: `${this.baseUrl}${UPLOAD_PATH}${uniqueId}?tempauth=${randomBytes(16).toString('hex')}`,
      contentUrl: `${this.baseUrl}/_files/${uniqueId}/${encodeURIComponent(name)}`,
      uniqueId,
      fileType,
    };
    this.sessions.set(uniqueId, {
      info,
      size: sizeInBytes,
      expiresAt: this.now().getTime() + this.ttlMs,
      received: [],
      next: 0,
      complete: false,
      refusals: 0,
    });
    return info;
  }

  /** The bytes of a completed upload, else undefined. */
  file(uniqueId: string): Buffer | undefined {
    const session = this.sessions.get(uniqueId);
    return session?.complete ? Buffer.concat(session.received) : undefined;
  }

  /** Ranges the session refused so far. */
  refusals(uniqueId: string): number {
    return this.sessions.get(uniqueId)?.refusals ?? 0;
  }

  /** Ends a session now (as OneDrive does after its expiry). */
  expire(uniqueId: string): void {
    const session = this.sessions.get(uniqueId);
    if (session) session.expiresAt = 0;
  }

  /** True when `url` is an upload URL of these sessions (answered by `handle`, reading the body as bytes). */
  matches(url: URL): boolean {
    return url.pathname.startsWith(UPLOAD_PATH);
  }

  /** Answers a `PUT` range to an upload URL. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const session = this.sessions.get(url.pathname.slice(UPLOAD_PATH.length));
    const tempauth = session ? new URL(session.info.uploadUrl).searchParams.get('tempauth') : undefined;
    if (!session || url.searchParams.get('tempauth') !== tempauth || session.complete) {
      req.resume();
      sendJson(res, 404, { error: { code: 'itemNotFound', message: 'The upload session was not found.' } });
      return;
    }
    const refuse = (status: number, code: string, message: string) => {
      session.refusals += 1;
      req.resume();
      sendJson(res, status, { error: { code, message } });
    };
    if (session.expiresAt <= this.now().getTime()) return refuse(404, 'itemNotFound', 'The upload session expired.');
    if (req.method !== 'PUT') return refuse(405, 'invalidRequest', 'Upload ranges are PUT.');
    const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(req.headers['content-range'] ?? '');
    if (!range) return refuse(400, 'invalidRange', 'Content-Range is required: bytes start-end/total.');
    const [start, end, total] = [Number(range[1]), Number(range[2]), Number(range[3])];
    if (total !== session.size) return refuse(400, 'invalidRange', 'The total size differs from the consented file.');
    if (start !== session.next || end < start || end >= total)
      return refuse(416, 'invalidRange', 'The range is not the next expected one.');
    const length = end - start + 1;
    const last = end === total - 1;
    if (length > MAX_RANGE_BYTES || (!last && length % RANGE_UNIT !== 0))
      return refuse(400, 'invalidRange', 'Ranges must be multiples of 320 KiB (but the last), at most 60 MiB.');
    const body = await readBytes(req, length);
    if (body === undefined || body.length !== length)
      return refuse(400, 'invalidRange', 'The body length differs from the Content-Range.');
    session.received.push(body);
    session.next = end + 1;
    if (!last) {
      sendJson(res, 202, {
        expirationDateTime: new Date(session.expiresAt).toISOString(),
        nextExpectedRanges: [`${session.next}-`],
      });
      return;
    }
    session.complete = true;
    sendJson(res, 201, { id: session.info.uniqueId, name: session.info.name, size: total });
  }
}

/** Reads at most `limit` bytes (one more, to see an over-long body). */
function readBytes(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > limit ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Upload sessions on their own server at 127.0.0.1 (demo-mode tests, which have no channel emulator). */
export interface FileUploadServer {
  url: string;
  sessions: FileUploadSessions;
  close(): Promise<void>;
}

/** Starts an upload-session server on a free port. */
export async function startFileUploadServer(now?: () => Date): Promise<FileUploadServer> {
  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const sessions = new FileUploadSessions(url, now);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const target = new URL(req.url ?? '/', url);
    if (!sessions.matches(target)) {
      req.resume();
      sendJson(res, 404, { error: { code: 'itemNotFound', message: 'Not found.' } });
      return;
    }
    sessions.handle(req, res, target).catch(() => res.destroy());
  });
  return {
    url,
    sessions,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A file consent card as a bot sends it (the attachment of `application/vnd.microsoft.teams.card.file.consent`). */
export interface FileConsentAttachment {
  name?: string;
  content?: { sizeInBytes?: number; acceptContext?: unknown; declineContext?: unknown };
}

/**
 * What Teams sends the bot (`fileConsent/invoke`'s value) when the person selects Allow or Decline on `card`: on
 * Allow, a new upload session sized as the card announced.
 */
export function fileConsentInvokeValue(
  card: FileConsentAttachment,
  action: 'accept' | 'decline',
  sessions: FileUploadSessions,
): Record<string, unknown> {
  if (action === 'decline') return { type: 'fileUpload', action, context: card.content?.declineContext };
  return {
    type: 'fileUpload',
    action,
    context: card.content?.acceptContext,
    uploadInfo: sessions.open(card.name ?? 'file', card.content?.sizeInBytes ?? 0),
  };
}
