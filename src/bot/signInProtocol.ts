import { randomUUID } from 'node:crypto';
import type { Activity, AdaptiveCardInvokeResponse } from 'botbuilder';

/** What a sign-in prompt needs: the bot's SSO resource and where the sign-in button leads. */
export interface SignInPrompt {
  /** The OAuth card's connection name (Teams requires one; the bot does its own token exchange). */
  connectionName: string;
  /** The bot's app id: the token exchange resource is `api://botid-<id>`. */
  botAppId: string;
  /** The sign-in button's page (the interactive fallback), if the bot has a public URL. */
  signInUrl: string | undefined;
  /** Offer silent SSO (the token exchange resource); false when Entra demands an interactive step-up. */
  silent: boolean;
  /** The card's words and its button's, in the person's language. */
  text: string;
  buttonTitle: string;
}

function oauthContent(prompt: SignInPrompt) {
  return {
    text: prompt.text,
    connectionName: prompt.connectionName,
    ...(prompt.silent
      ? { tokenExchangeResource: { id: randomUUID(), uri: `api://botid-${prompt.botAppId}`, providerId: '' } }
      : {}),
    buttons: prompt.signInUrl
      ? [{ type: 'signin', title: prompt.buttonTitle, text: prompt.buttonTitle, value: prompt.signInUrl }]
      : [],
  };
}

/**
 * The OAuth card of "SSO without the Bot Framework token store": with a token exchange resource, Teams gets
 * an SSO token for the bot silently and sends it in a `signin/tokenExchange` invoke; the button is the
 * fallback (defender-api.md §10.4, §10.6 B).
 */
export function oauthCardActivity(prompt: SignInPrompt): Partial<Activity> {
  return {
    type: 'message',
    attachments: [{ contentType: 'application/vnd.microsoft.card.oauth', content: oauthContent(prompt) }],
  };
}

/**
 * The Universal Actions sign-in (defender-api.md §11.4): answering an Action.Execute with 401 `loginRequest`
 * makes Teams run SSO for the person who clicked (or show the sign-in button) and send the invoke again with
 * `authentication.token` (or `state`). Works in channels, where the OAuth card's silent exchange does not.
 */
export function loginRequestResponse(prompt: SignInPrompt): AdaptiveCardInvokeResponse {
  return {
    statusCode: 401,
    type: 'application/vnd.microsoft.activity.loginRequest',
    value: oauthContent(prompt),
  };
}

/** The Universal Actions answer when a token Teams sent cannot be used: Teams falls back to the sign-in button. */
export function preconditionFailedResponse(): AdaptiveCardInvokeResponse {
  return {
    statusCode: 412,
    type: 'application/vnd.microsoft.error.preconditionFailed',
    value: { code: '412', message: 'authentication token could not be used' },
  };
}

/** The Universal Actions answer to a one-time sign-in code that is unknown, expired or someone else's. */
export function invalidAuthCodeResponse(): AdaptiveCardInvokeResponse {
  return { statusCode: 401, type: 'application/vnd.microsoft.error.invalidAuthCode', value: {} };
}
