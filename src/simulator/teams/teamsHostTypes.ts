/*
 * Plain data shared by the demo Teams host's server (teamsHost.ts) and its browser script (web/hostScript.ts),
 * which imports this module with `import type` only.
 */

/** A person the host page can sign in as: the fields Teams puts in a tab's context. */
export interface TeamsPersona {
  /** Entra object id (`oid`); also the persona's id on the host page and in `POST /token`. */
  aadObjectId: string;
  displayName: string;
  userPrincipalName: string;
  /** The person's role in the team (Teams' `userTeamRole`: 0 owner, 1 member, 2 guest); default member. */
  teamRole?: 'owner' | 'member' | 'guest';
}

/** A channel of the simulated team. */
export interface TeamsChannel {
  /** Teams' thread id, e.g. `19:…@thread.tacv2`. */
  id: string;
  name: string;
}

/** The simulated team the channel tab lives in. */
export interface TeamsTeam {
  /** Teams' internal team id (the General channel's thread id), what the context calls `teamId`. */
  id: string;
  name: string;
  /** The Microsoft 365 group behind the team: the context's `groupId`. */
  aadGroupId: string;
  channels: TeamsChannel[];
}

/** Teams' theme names, as `app.theme` and the `themeChange` event carry them. */
export type TeamsTheme = 'default' | 'dark' | 'contrast';

/** What the server hands the browser script (a JSON block in the host page; no secrets, no tokens). */
export interface HostPageConfig {
  tenantId: string;
  tabUrl: string;
  /** The entity id of the personal tab (manifest `staticTabs[].entityId`). */
  personalEntityId: string;
  configUrl?: string | undefined;
  /** The contentUrl a channel tab has when it was configured before the host started (skips the config page). */
  channelTabUrl?: string | undefined;
  /** Origins the tab and its configuration page may live on (Teams' `validDomains`). */
  tabOrigins: string[];
  personas: TeamsPersona[];
  team: TeamsTeam;
  locales: string[];
  /** The version this host says it supports, the 4th answer of `initialize`. */
  hostSdkVersion: string;
}

/** `POST /token` body: which persona wants a token. */
export interface TokenRequest {
  personaId: string;
}

/** `POST /token` answer: the token, or the reason the host gives teams-js when it cannot get one. */
export type TokenAnswer = { token: string } | { error: string };
