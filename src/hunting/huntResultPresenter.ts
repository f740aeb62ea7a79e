import type { AuditSink } from '../approvals/auditSink';
import { isSortableColumn, toHuntResultCard } from '../cards/huntResultCard';
import { toNoticeCard } from '../cards/noticeCard';
import { clipLine } from '../cards/text';
import type { CommandContext, Reply } from '../commands/commandContext';
import { cardReply } from '../commands/commandContext';
import { CustomerScope } from '../commands/customerScope';
import type { ConversationPort } from '../commands/responseActions';
import type { CustomerDirectory } from '../customers/customerDirectory';
import { AppError } from '../errors';
import type { Translator } from '../i18n/translator';
import type { HuntingAnswer, HuntRequest, HuntResultPresenter, HuntTiming } from './huntingTypes';
import { csvFragments } from './huntResultCsv';
import type { HuntResultHeader, HuntResultOwner, HuntResultStore, HuntSort } from './huntResultStore';
import { MAX_SORTED_ROWS, ROWS_PER_PAGE } from './huntResultStore';
import type { CsvUploader } from './huntResultUpload';

/** A file offered to a person (Teams: a file consent card); the contexts come back with their answer. */
export interface FileOffer {
  name: string;
  description: string;
  sizeInBytes: number;
  /** What the person's Allow or Decline brings back: which result, nothing else. */
  context: HuntCsvContext;
}

/** Sends a file offer into the conversation the click came from. */
export type FileOfferSender = (offer: FileOffer) => Promise<void>;

/** What a CSV offer carries back to the bot: the result id and the tenant hunted (checked again on the answer). */
export interface HuntCsvContext {
  kind: 'huntResultCsv';
  resultId: string;
  tenantId: string;
}

/** Where Teams lets the bot put the file (a OneDrive upload session the person consented to). */
export interface CsvUploadTarget {
  name: string;
  uploadUrl: string;
  contentUrl: string;
  uniqueId: string;
  fileType: string;
}

/** The outcome of an accepted CSV offer. */
export type CsvUploadOutcome =
  | { kind: 'uploaded'; name: string; rows: number; target: CsvUploadTarget }
  | { kind: 'expired' }
  | { kind: 'notOwned' }
  | { kind: 'notServedHere' }
  | { kind: 'failed' };

/** The conversation a file consent was answered in: its own tenant and id (for the customer bindings). */
export interface CsvConsentConversation {
  tenantId: string | undefined;
  conversationId: string | undefined;
}

/** The card actions' side of stored results (src/cardActions/registry.ts: hunt.page, hunt.sort, hunt.csv). */
export interface HuntResultsPort {
  /** A page of a result, in answer order or sorted (`sort`: `Column:asc|desc` or `none`), for its owner only. */
  showPage(ctx: CommandContext, data: { resultId: string; page: number; sort?: string | undefined }): Promise<Reply>;
  /** "Download CSV": offers the file in a personal chat; elsewhere says where it is offered. */
  offerCsv(
    ctx: CommandContext,
    conversation: ConversationPort | undefined,
    resultId: string,
    offer: FileOfferSender | undefined,
  ): Promise<Reply>;
}

/** What HuntResults needs: the store, the audit trail (refusals) and how a CSV reaches an upload session. */
export interface HuntResultsDependencies {
  store: HuntResultStore;
  audit: AuditSink;
  upload: CsvUploader;
  /** Partner context: the customers each conversation is bound to (undefined: every chat is its own tenant). */
  customers?: CustomerDirectory | undefined;
}

/**
 * Hunt results people can read: stores each answer (bounded memory, per person, 24 hours) and answers with its first
 * page; pages, sorts and offers the CSV for the person who ran the hunt, refusing (and auditing) anyone else.
 */
export class HuntResults implements HuntResultPresenter, HuntResultsPort {
  constructor(private readonly deps: HuntResultsDependencies) {}

  async present(
    ctx: CommandContext,
    _conversation: ConversationPort | undefined,
    request: HuntRequest,
    answer: HuntingAnswer,
    timing: () => HuntTiming,
  ): Promise<Reply> {
    const saved = await this.deps.store.save(ownerOf(ctx), request, answer, timing);
    return resultReply({ header: saved.header, page: 0, rows: saved.firstPage }, ctx.i18n);
  }

  async showPage(
    ctx: CommandContext,
    data: { resultId: string; page: number; sort?: string | undefined },
  ): Promise<Reply> {
    const header = await this.openFor(ctx, data.resultId, 'hunt.page');
    if (!('id' in header)) return header;
    const sort = parseSort(data.sort, header);
    if (!sort)
      return resultReply({ header, page: data.page, rows: await this.deps.store.page(header, data.page) }, ctx.i18n);
    const lastSortedPage = Math.ceil(MAX_SORTED_ROWS / ROWS_PER_PAGE) - 1;
    const page = Math.min(data.page, lastSortedPage);
    return resultReply(
      {
        header,
        page,
        sort,
        rows: await this.deps.store.sortedPage(header, page, sort),
        ...(data.page > lastSortedPage || (page === lastSortedPage && header.rowCount > MAX_SORTED_ROWS)
          ? { sortedLimit: MAX_SORTED_ROWS }
          : {}),
      },
      ctx.i18n,
    );
  }

  async offerCsv(
    ctx: CommandContext,
    conversation: ConversationPort | undefined,
    resultId: string,
    offer: FileOfferSender | undefined,
  ): Promise<Reply> {
    // Teams' bot file API works in personal chats only; elsewhere the file would land where others read it anyway.
    if (conversation?.kind !== 'personal' || !offer)
      return { kind: 'text', text: ctx.i18n.t('huntResults.csvPersonalOnly') };
    const header = await this.openFor(ctx, resultId, 'hunt.csv');
    if (!('id' in header)) return header;
    const name = csvFileName(header);
    await offer({
      name,
      description: ctx.i18n.t('huntResults.csvDescription', {
        title: clipLine(header.title, 200),
        rows: header.rowCount,
      }),
      sizeInBytes: header.csvBytes,
      context: { kind: 'huntResultCsv', resultId: header.id, tenantId: header.owner.tenantId },
    });
    return { kind: 'text', text: ctx.i18n.t('huntResults.csvOffered', { name }) };
  }

  /**
   * The person allowed the file: streams the CSV of every kept row (answer order) into the upload session, for the
   * result's owner only, and only while the chat still serves the result's tenant (a card click's rule: a bound
   * customer, or the chat's own tenant when none is bound). Nothing is retried: a failed range leaves an incomplete
   * session OneDrive discards.
   */
  async uploadCsv(
    reader: HuntResultOwner,
    resultId: string,
    target: CsvUploadTarget,
    conversation: CsvConsentConversation,
  ): Promise<CsvUploadOutcome> {
    if (!(await this.servedIn(conversation, reader.tenantId))) {
      await this.auditRefusal(reader, resultId, 'hunt.csvUpload', 'huntResultTenantNotServedHere');
      return { kind: 'notServedHere' };
    }
    const opened = await this.deps.store.open(resultId, reader);
    if (opened.kind === 'notOwned') {
      await this.auditRefusal(reader, resultId, 'hunt.csvUpload');
      return { kind: 'notOwned' };
    }
    if (opened.kind === 'expired') return opened;
    const { header } = opened;
    const fragments = csvFragments(header.columns, this.deps.store.rows(header), this.deps.upload.fragmentBytes);
    const uploaded = await this.deps.upload.upload(target.uploadUrl, fragments, header.csvBytes);
    if (!uploaded) return { kind: 'failed' };
    return { kind: 'uploaded', name: target.name, rows: header.rowCount, target };
  }

  /** The owner's result, or the reply that says why not (expired; someone else's: refused and audited). */
  private async openFor(ctx: CommandContext, resultId: string, verb: string): Promise<HuntResultHeader | Reply> {
    const reader = ownerOf(ctx);
    const opened = await this.deps.store.open(resultId, reader);
    switch (opened.kind) {
      case 'found':
        return opened.header;
      case 'expired':
        return noticeReply(ctx.i18n, 'huntResults.expiredHeading', 'huntResults.expired');
      case 'notOwned':
        await this.auditRefusal(reader, resultId, verb);
        return noticeReply(ctx.i18n, 'huntResults.notYoursHeading', 'huntResults.notYours');
    }
  }

  /** Whether `conversation` may still address `tenantId`, decided as for a clicked card's tenant (CustomerScope.pin). */
  private async servedIn(conversation: CsvConsentConversation, tenantId: string): Promise<boolean> {
    const scope = new CustomerScope(this.deps.customers, conversation);
    scope.pin(tenantId);
    try {
      await scope.resolve();
      return true;
    } catch (err) {
      if (err instanceof AppError && ['customerNotBound', 'customerNotChosen', 'notSignedIn'].includes(err.code))
        return false;
      throw err;
    }
  }

  private async auditRefusal(
    reader: HuntResultOwner,
    resultId: string,
    verb: string,
    reason = 'huntResultNotOwned',
  ): Promise<void> {
    await this.deps.audit.append({
      type: 'request.refused',
      tenantId: reader.tenantId,
      actor: { system: 'bot' },
      detail: {
        reason,
        verb,
        resultId,
        fromAadObjectId: reader.userId,
        fromTenantId: reader.userTenantId,
      },
    });
  }
}

/** Whose results a person may read: theirs, in the tenant the command is about. */
export function ownerOf(ctx: CommandContext): HuntResultOwner {
  return { tenantId: ctx.tenant.id, userId: ctx.user.aadObjectId, userTenantId: ctx.user.tenantId };
}

/** `Column:asc|desc` naming a column of the result, else undefined (answer order). */
function parseSort(value: string | undefined, header: HuntResultHeader): HuntSort | undefined {
  if (!value || value === 'none') return undefined;
  const at = value.lastIndexOf(':');
  const column = value.slice(0, at);
  const direction = value.slice(at + 1);
  if (direction !== 'asc' && direction !== 'desc') return undefined;
  if (!isSortableColumn(column) || !header.columns.some((c) => c.name === column)) return undefined;
  return { column, direction };
}

/** `hunt-processes-on-device-20261207-0415.csv`: the hunt's name (or "kql") and when it ran, UTC. */
function csvFileName(header: HuntResultHeader): string {
  const stem = (header.huntName ?? 'kql').replace(/[^A-Za-z0-9_-]+/g, '-').slice(0, 60) || 'kql';
  const when = header.createdAt.slice(0, 16).replace(/[-:]/g, '').replace('T', '-');
  return `hunt-${stem}-${when}.csv`;
}

function resultReply(input: Parameters<typeof toHuntResultCard>[0], i18n: Translator): Reply {
  return cardReply(
    toHuntResultCard(input, i18n),
    i18n.t('huntResults.cardSummary', { title: clipLine(input.header.title, 100) }),
  );
}

function noticeReply(
  i18n: Translator,
  heading: 'huntResults.expiredHeading' | 'huntResults.notYoursHeading',
  text: 'huntResults.expired' | 'huntResults.notYours',
): Reply {
  return cardReply(toNoticeCard({ heading: i18n.t(heading), text: i18n.t(text), color: 'warning' }), i18n.t(heading));
}
