import type { Activity, TurnContext } from 'botbuilder';
import { z } from 'zod';
import type { FileOffer, HuntResults } from '../hunting/huntResultPresenter';
import { HUNT_RESULT_ID_PATTERN } from '../hunting/huntResultStore';
import type { Translator } from '../i18n/translator';
import type { Logger } from '../logging/logger';
import { serializeError } from '../logging/logger';
import { isStorageUnavailable } from '../storage/storageError';

/*
 * Teams' file protocol for bots (personal chats of an app with `supportsFiles`): the bot sends a file consent card,
 * the person's Allow or Decline comes back as a `fileConsent/invoke` carrying what the bot put in the card's context
 * and, on Allow, a OneDrive upload session; the bot uploads, answers the invoke 200 and posts a file info card.
 */

/** The consent card's content type. */
export const FILE_CONSENT_CARD = 'application/vnd.microsoft.teams.card.file.consent';
/** The card that shows an uploaded file in the chat. */
export const FILE_INFO_CARD = 'application/vnd.microsoft.teams.card.file.info';

const id = z.string().min(1).max(256);
const contextSchema = z.strictObject({
  kind: z.literal('huntResultCsv'),
  resultId: z.string().regex(HUNT_RESULT_ID_PATTERN),
  tenantId: id,
});

/** The value of a `fileConsent/invoke`, checked at the bot's edge (src/bot/inboundActivity.ts). */
export const fileConsentValueSchema = z.looseObject({
  type: z.literal('fileUpload').optional(),
  action: z.enum(['accept', 'decline']),
  context: z.unknown().optional(),
  uploadInfo: z
    .looseObject({
      name: z.string().min(1).max(1024),
      uploadUrl: z.string().min(1).max(8192),
      contentUrl: z.string().min(1).max(8192),
      uniqueId: z.string().max(256),
      fileType: z.string().max(64),
    })
    .optional(),
});

/** The message that offers a file: a consent card whose Allow and Decline bring back which result it is. */
export function fileConsentActivity(offer: FileOffer): Partial<Activity> {
  return {
    type: 'message',
    attachments: [
      {
        contentType: FILE_CONSENT_CARD,
        name: offer.name,
        content: {
          description: offer.description,
          sizeInBytes: offer.sizeInBytes,
          acceptContext: offer.context,
          declineContext: offer.context,
        },
      },
    ],
  };
}

/**
 * Answers a `fileConsent/invoke`: on Allow uploads the CSV (for the result's owner only, while the chat still serves
 * the result's tenant) and posts the file card, on Decline says nothing was sent. Every outcome is a message in the
 * chat; the invoke itself is answered 200.
 */
export async function answerFileConsent(
  context: TurnContext,
  huntResults: HuntResults | undefined,
  i18n: Translator,
  log: Logger,
): Promise<void> {
  const value = fileConsentValueSchema.parse(context.activity.value);
  const say = async (text: string) => {
    await context.sendActivity({ type: 'message', text, textFormat: 'plain' });
  };
  if (value.action === 'decline') {
    await say(i18n.t('huntResults.csvDeclined'));
    return;
  }
  const accepted = contextSchema.safeParse(value.context);
  const target = value.uploadInfo;
  const userId = context.activity.from.aadObjectId;
  const userTenantId = context.activity.conversation.tenantId ?? tenantOfChannelData(context.activity);
  if (!huntResults || !accepted.success || !target || !userId || !userTenantId) {
    log.warn({ context: accepted.success, uploadInfo: target !== undefined }, 'file consent the bot cannot use');
    await say(i18n.t('huntResults.csvFailed'));
    return;
  }
  try {
    const outcome = await huntResults.uploadCsv(
      { tenantId: accepted.data.tenantId, userId, userTenantId },
      accepted.data.resultId,
      target,
      { tenantId: userTenantId, conversationId: context.activity.conversation.id },
    );
    switch (outcome.kind) {
      case 'uploaded':
        log.info({ rows: outcome.rows }, 'hunt results uploaded as CSV');
        await context.sendActivity({
          type: 'message',
          text: i18n.t('huntResults.csvUploaded', { name: outcome.name, rows: outcome.rows }),
          textFormat: 'plain',
          attachments: [
            {
              contentType: FILE_INFO_CARD,
              contentUrl: outcome.target.contentUrl,
              name: outcome.target.name,
              content: { uniqueId: outcome.target.uniqueId, fileType: outcome.target.fileType },
            },
          ],
        });
        return;
      case 'expired':
        await say(i18n.t('huntResults.expired'));
        return;
      case 'notOwned':
        await say(i18n.t('huntResults.notYours'));
        return;
      case 'notServedHere':
        await say(i18n.t('huntResults.csvNotServedHere'));
        return;
      case 'failed':
        await say(i18n.t('huntResults.csvFailed'));
        return;
    }
  } catch (err) {
    if (!isStorageUnavailable(err)) throw err;
    log.warn({ err: serializeError(err) }, 'state store unavailable during a CSV upload');
    await say(i18n.t('huntResults.csvFailed'));
  }
}

function tenantOfChannelData(activity: Activity): string | undefined {
  const tenant = (activity.channelData as { tenant?: { id?: unknown } } | undefined)?.tenant?.id;
  return typeof tenant === 'string' ? tenant : undefined;
}
