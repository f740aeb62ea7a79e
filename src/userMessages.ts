import type { AppError, AppErrorCode } from './errors';
import type { MessageKey } from './i18n/catalogues';
import { DEFAULT_LOCALE } from './i18n/locale';
import type { Translator } from './i18n/translator';
import { translatorFor } from './i18n/translator';

/** What the user was trying to do, in words that complete "You don't have permission to …". */
export type Operation =
  | 'view alerts'
  | 'view this alert'
  | 'view devices'
  | 'view this device'
  | 'use this button'
  | 'take this response action'
  | 'act on this request'
  | 'view response actions'
  | 'assign this alert'
  | 'change notifications'
  | 'view incidents'
  | 'view this incident'
  | 'change this incident'
  | 'resolve this incident'
  | 'manage customers'
  | 'run hunts';

/** A user-facing explanation of a failure: a heading and a sentence, never internals. */
export interface UserMessage {
  heading: string;
  text: string;
  /** Shown as "ref …" so support can find the log lines of the turn. */
  showReference: boolean;
}

/** The catalogue key of each operation's words (they complete "You don't have permission to …"). */
const OPERATION_KEYS: Record<Operation, MessageKey> = {
  'view alerts': 'operation.viewAlerts',
  'view this alert': 'operation.viewThisAlert',
  'view devices': 'operation.viewDevices',
  'view this device': 'operation.viewThisDevice',
  'use this button': 'operation.useThisButton',
  'take this response action': 'operation.takeThisResponseAction',
  'act on this request': 'operation.actOnThisRequest',
  'view response actions': 'operation.viewResponseActions',
  'assign this alert': 'operation.assignThisAlert',
  'change notifications': 'operation.changeNotifications',
  'view incidents': 'operation.viewIncidents',
  'view this incident': 'operation.viewThisIncident',
  'change this incident': 'operation.changeThisIncident',
  'resolve this incident': 'operation.resolveThisIncident',
  'manage customers': 'operation.manageCustomers',
  'run hunts': 'operation.runHunts',
};

/** Codes whose message is a plain heading and sentence, and whether support needs the turn's reference. */
const PLAIN_MESSAGES = {
  notFound: false,
  upstreamUnavailable: true,
  timeout: true,
  unauthorized: true,
  notSignedIn: true,
  signInRequired: false,
  consentRequired: false,
  interactionRequired: false,
  userNotInTenant: false,
  clientCredentialsInvalid: true,
  tenantNotAllowed: false,
  storageUnavailable: true,
  defenderNotInTenant: false,
  invalidInput: false,
} as const satisfies Partial<Record<AppErrorCode, boolean>>;

/**
 * The single place where error codes become words (STYLE: one error type, mapped once), in the person's language
 * (`i18n`, English when omitted). The switch is exhaustive: a new AppErrorCode does not compile until it has a
 * message here.
 */
export function userMessageFor(
  error: AppError,
  operation: Operation,
  i18n: Translator = translatorFor(DEFAULT_LOCALE),
): UserMessage {
  switch (error.code) {
    case 'forbidden':
      return {
        heading: i18n.t('error.forbidden.heading'),
        text: i18n.t('error.forbidden.text', { operation: i18n.t(OPERATION_KEYS[operation]) }),
        showReference: false,
      };
    case 'rateLimited': {
      const wait = error.details.retryAfterSeconds;
      return {
        heading: i18n.t('error.rateLimited.heading'),
        text: i18n.t('error.rateLimited.text', { hasWait: wait ? 'yes' : 'no', wait: wait ?? 0 }),
        showReference: false,
      };
    }
    case 'notFound':
    case 'upstreamUnavailable':
    case 'timeout':
    case 'unauthorized':
    case 'notSignedIn':
    case 'signInRequired':
    case 'consentRequired':
    case 'interactionRequired':
    case 'userNotInTenant':
    case 'clientCredentialsInvalid':
    case 'tenantNotAllowed':
    case 'storageUnavailable':
    case 'defenderNotInTenant':
    case 'invalidInput':
      return {
        heading: i18n.t(`error.${error.code}.heading`),
        text: i18n.t(`error.${error.code}.text`),
        showReference: PLAIN_MESSAGES[error.code],
      };
    case 'huntFailed':
      return huntFailureMessage(error, i18n);
    case 'noAccessInCustomer':
      return {
        heading: i18n.t('error.noAccessInCustomer.heading'),
        text: i18n.t('error.noAccessInCustomer.text', {
          customer: error.details.customerName ?? i18n.t('error.noAccessInCustomer.thisCustomer'),
        }),
        showReference: false,
      };
    case 'customerNotChosen':
      return {
        heading: i18n.t('error.customerNotChosen.heading'),
        text: i18n.t('error.customerNotChosen.text', {
          customers: listNames(error.details.customerChoices ?? [], i18n),
          example: error.details.customerChoices?.[0] ?? 'Contoso',
        }),
        showReference: false,
      };
    case 'customerNotBound':
      return {
        heading: i18n.t('error.customerNotBound.heading'),
        text: i18n.t('error.customerNotBound.text', {
          customer: error.details.customerName ?? i18n.t('error.customerNotBound.thatCustomer'),
          hasChoices: error.details.customerChoices?.length ? 'yes' : 'no',
          customers: listNames(error.details.customerChoices ?? [], i18n),
        }),
        showReference: false,
      };
    case 'badRequest':
    case 'unexpectedResponse':
    case 'internal':
      return { heading: i18n.t('error.internal.heading'), text: i18n.t('error.internal.text'), showReference: true };
  }
}

/**
 * What a failed hunt means and what to do: fix the query (the service's message and position), narrow it, wait
 * until the quota the 429 named allows calls again, or ask for the hunting permission.
 */
function huntFailureMessage(error: AppError, i18n: Translator): UserMessage {
  const hunt = error.details.hunt ?? { reason: 'timeout' as const };
  const wait = error.details.retryAfterSeconds;
  return {
    heading: i18n.t(`hunting.error.${hunt.reason}.heading`),
    text: i18n.t(`hunting.error.${hunt.reason}.text`, {
      message: hunt.serviceMessage ?? '',
      hasPosition: hunt.line !== undefined ? 'yes' : 'no',
      line: hunt.line ?? 0,
      column: hunt.column ?? 0,
      hasWait: wait ? 'yes' : 'no',
      wait: wait ?? 0,
    }),
    showReference: hunt.reason === 'timeout',
  };
}

/** "Contoso", "Contoso and Fabrikam", "Contoso, Fabrikam and Tailspin" ("Contoso, Fabrikam e Tailspin"). */
export function listNames(names: string[], i18n: Translator = translatorFor(DEFAULT_LOCALE)): string {
  if (names.length === 0) return i18n.t('error.customerNotChosen.noCustomer');
  // British English lists take no serial comma, as the bot always wrote them.
  return new Intl.ListFormat(i18n.locale === 'en' ? 'en-GB' : i18n.locale, { type: 'conjunction' }).format(names);
}
