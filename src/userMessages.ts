import type { AppError } from './errors';

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
  | 'manage customers';

/** A user-facing explanation of a failure: a heading and a sentence, never internals. */
export interface UserMessage {
  heading: string;
  text: string;
  /** Shown as "ref …" so support can find the log lines of the turn. */
  showReference: boolean;
}

/**
 * The single place where error codes become words (STYLE: one error type, mapped once). The switch is
 * exhaustive: a new AppErrorCode does not compile until it has a message here.
 */
export function userMessageFor(error: AppError, operation: Operation): UserMessage {
  switch (error.code) {
    case 'forbidden':
      return {
        heading: 'Permission needed',
        text: `You don't have permission to ${operation} in Microsoft Defender. Ask your Defender administrator for a role that includes it for the device groups you work on.`,
        showReference: false,
      };
    case 'notFound':
      return {
        heading: 'Not found',
        text: `I couldn't find that in Microsoft Defender, or it is outside the device groups you can see.`,
        showReference: false,
      };
    case 'rateLimited': {
      const wait = error.details.retryAfterSeconds;
      return {
        heading: 'Microsoft Defender is busy',
        text: `Defender's request limit was reached. Try again${wait ? ` in ${wait} second${wait === 1 ? '' : 's'}` : ' in a minute'}.`,
        showReference: false,
      };
    }
    case 'upstreamUnavailable':
      return {
        heading: 'Microsoft Defender is not answering',
        text: 'Defender returned a server error several times in a row. Try again in a minute.',
        showReference: true,
      };
    case 'timeout':
      return {
        heading: 'Microsoft Defender is slow',
        text: 'Defender took too long to answer. Try again in a minute.',
        showReference: true,
      };
    case 'unauthorized':
      return {
        heading: 'Sign-in not accepted',
        text: 'Microsoft Defender did not accept your sign-in. Send your command again to sign in afresh.',
        showReference: true,
      };
    case 'notSignedIn':
      return {
        heading: 'Sign-in needed',
        text: "I couldn't sign you in to Microsoft Defender. Send your command again; if this keeps happening, sign out of Teams and back in.",
        showReference: true,
      };
    case 'signInRequired':
      return {
        heading: 'Sign-in needed',
        text: 'Sign in to Microsoft Defender to continue: I act with your own permissions.',
        showReference: false,
      };
    case 'consentRequired':
      return {
        heading: 'Admin consent needed',
        text: "Your organisation hasn't granted this bot access to Microsoft Defender yet. An administrator must grant consent first.",
        showReference: false,
      };
    case 'interactionRequired':
      return {
        heading: 'Sign in again',
        text: 'Your organisation requires a fresh sign-in (for example multi-factor authentication) before I can reach Microsoft Defender for you.',
        showReference: false,
      };
    case 'userNotInTenant':
      return {
        heading: 'Unknown account',
        text: "Your account isn't known to the Microsoft Defender tenant this bot serves.",
        showReference: false,
      };
    case 'clientCredentialsInvalid':
      return {
        heading: 'Bot misconfigured',
        text: "The bot's own credentials were refused by Microsoft Entra ID. Tell your Teams administrator.",
        showReference: true,
      };
    case 'tenantNotAllowed':
      return {
        heading: 'Not available',
        text: "This bot doesn't serve your organisation.",
        showReference: false,
      };
    case 'storageUnavailable':
      return {
        heading: 'Temporarily unavailable',
        text: "The bot's own storage is not answering, so nothing was changed and nothing was sent to Microsoft Defender. Try again in a minute.",
        showReference: true,
      };
    case 'defenderNotInTenant':
      return {
        heading: 'Microsoft Defender for Endpoint is not set up here',
        text: "Your organisation's Microsoft Entra ID has no Microsoft Defender for Endpoint (WindowsDefenderATP) service, so I can't reach Defender for you. An administrator must turn on Defender for Endpoint for the tenant (Microsoft Defender portal, Settings › Endpoints) and then grant this bot admin consent for its Defender permissions.",
        showReference: false,
      };
    case 'noAccessInCustomer':
      return {
        heading: 'No access in this customer',
        text: `You have no account in ${error.details.customerName ?? 'this customer'}'s Microsoft Entra ID (no guest account and no granular delegated admin role), so I can't reach its Defender as you, and I never show what the bot's own identity sees instead. Ask the customer's administrator to invite you as a guest with a Defender role, or your partner administrator for a GDAP security role.`,
        showReference: false,
      };
    case 'customerNotChosen':
      return {
        heading: 'Which customer?',
        text: `This conversation serves ${listNames(error.details.customerChoices ?? [])}. Add "for <customer>" to your command, for example "show high alerts for ${error.details.customerChoices?.[0] ?? 'Contoso'}".`,
        showReference: false,
      };
    case 'customerNotBound':
      return {
        heading: 'Not a customer of this conversation',
        text: `${error.details.customerName ?? 'That customer'} is not served in this conversation${
          error.details.customerChoices?.length ? ` (it serves ${listNames(error.details.customerChoices)})` : ''
        }. A SOC.Admin binds a conversation to a customer with "bind <customer>".`,
        showReference: false,
      };
    case 'invalidInput':
      return {
        heading: "That didn't work",
        text: 'The card you used is out of date or was altered. Ask again with a fresh command.',
        showReference: false,
      };
    case 'badRequest':
    case 'unexpectedResponse':
    case 'internal':
      return { heading: 'Something went wrong', text: 'Something went wrong on my side.', showReference: true };
  }
}

/** "Contoso", "Contoso and Fabrikam", "Contoso, Fabrikam and Tailspin". */
function listNames(names: string[]): string {
  if (names.length <= 1) return names[0] ?? 'no customer';
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}
