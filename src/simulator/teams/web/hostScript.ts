/*
 * The browser side of the demo Teams host: embeds the tab and answers the teams-js host protocol the way Teams
 * does (see ../README.md for every message and where teams-js reads it). Loaded by the host page as /host.js;
 * the server strips the types with esbuild. Tokens only ever travel in a postMessage answer to the tab's origin.
 */
import type { HostPageConfig, TeamsPersona, TeamsTheme, TokenAnswer } from '../teamsHostTypes';

/** A request teams-js posts to its parent (communication.js `sendMessageToParent`, serialized by messageObjects.js). */
interface TabRequest {
  id: number;
  uuidAsString?: string;
  func: string;
  args?: unknown[];
}

/** The configuration a configurable tab's page set with `pages.config.setConfig` (settings.setSettings). */
interface InstanceConfig {
  contentUrl: string;
  entityId?: string;
  suggestedDisplayName?: string;
  websiteUrl?: string;
  removeUrl?: string;
}

/** What is loaded in the iframe now; a new load bumps `generation` so late answers to the old page are dropped. */
interface LoadedTab {
  generation: number;
  url: string;
  origin: string;
  frameContext: 'content' | 'settings';
  entityId: string;
  channelId?: string;
  label: string;
}

const THEMES: readonly TeamsTheme[] = ['default', 'dark', 'contrast'];
/** How long after the tab's page loaded the host waits for `initialize` before saying what may be wrong. */
const INITIALIZE_HINT_MS = 5_000;
/** Capabilities this host answers; teams-js refuses calls to capabilities a host does not list (runtime.js). */
const RUNTIME_CONFIG = {
  apiVersion: 4,
  isLegacyTeams: false,
  hostVersionsInfo: { adaptiveCardSchemaVersion: { majorVersion: 1, minorVersion: 5 } },
  supports: { app: {}, authentication: {}, pages: { config: {} }, teamsCore: {} },
};

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the host page lacks #${id}`);
  return found as T;
}

const config = JSON.parse(element('host-config').textContent ?? '{}') as HostPageConfig;
const personaSelect = element<HTMLSelectElement>('persona');
const themeSelect = element<HTMLSelectElement>('theme');
const localeSelect = element<HTMLSelectElement>('locale');
const placeSelect = element<HTMLSelectElement>('place');
const frame = element<HTMLIFrameElement>('tab');
const status = element<HTMLParagraphElement>('status');
const configBar = element<HTMLDivElement>('config-bar');
const saveButton = element<HTMLButtonElement>('save');
const unansweredList = element<HTMLUListElement>('unanswered-list');
const unansweredCount = element<HTMLSpanElement>('unanswered-count');

const savedConfigs = new Map<string, InstanceConfig>();
const registeredHandlers = new Set<string>();
const unanswered = new Set<string>();
let pendingConfig: InstanceConfig | undefined;
let generation = 0;
let acceptedGeneration = -1;
let loaded: LoadedTab | undefined;
let sessionId = randomId();

function randomId(): string {
  return crypto.randomUUID();
}

function persona(): TeamsPersona {
  return config.personas.find((p) => p.aadObjectId === personaSelect.value) ?? config.personas[0]!;
}

function theme(): TeamsTheme {
  return THEMES.find((t) => t === themeSelect.value) ?? 'default';
}

function channel(id: string | undefined) {
  return config.team.channels.find((c) => c.id === id);
}

function say(text: string): void {
  status.textContent = text;
}

/** Selects `value` in `select` when it is one of its options (values from the query string are not trusted). */
function selectIfOffered(select: HTMLSelectElement, value: string | null): void {
  if (value !== null && Array.from(select.options).some((o) => o.value === value)) select.value = value;
}

/** Keeps the choices in the address bar (ids only, never a token) so a reload or a link opens the same view. */
function rememberChoices(): void {
  const query = new URLSearchParams({
    persona: personaSelect.value,
    theme: themeSelect.value,
    locale: localeSelect.value,
    place: placeSelect.value,
  });
  history.replaceState(null, '', `?${query.toString()}`);
}

/** What the current place loads: the personal tab, a channel's configured tab, or a channel's configuration page. */
function resolvePlace(): Omit<LoadedTab, 'generation' | 'origin'> {
  const [kind, channelId] = splitPlace(placeSelect.value);
  const where = channel(channelId);
  if (kind === 'configure' && where && config.configUrl) {
    return {
      url: config.configUrl,
      frameContext: 'settings',
      entityId: '',
      channelId: where.id,
      label: `the configuration page in ${where.name}`,
    };
  }
  if (kind === 'channel' && where) {
    const saved = savedConfigs.get(where.id);
    const url = saved?.contentUrl ?? config.channelTabUrl ?? config.tabUrl;
    return {
      url,
      frameContext: 'content',
      entityId: saved?.entityId ?? config.personalEntityId,
      channelId: where.id,
      label: `the channel tab in ${where.name}`,
    };
  }
  return { url: config.tabUrl, frameContext: 'content', entityId: config.personalEntityId, label: 'the personal tab' };
}

function splitPlace(value: string): [string, string | undefined] {
  const colon = value.indexOf(':');
  return colon < 0 ? [value, undefined] : [value.slice(0, colon), value.slice(colon + 1)];
}

/** (Re)loads the tab as Teams does when the user, language or place changes: a new page, a new session. */
function loadTab(): void {
  const place = resolvePlace();
  generation += 1;
  sessionId = randomId();
  registeredHandlers.clear();
  pendingConfig = undefined;
  saveButton.disabled = true;
  configBar.hidden = place.frameContext !== 'settings';
  loaded = { ...place, generation, origin: new URL(place.url).origin };
  rememberChoices();
  document.documentElement.dataset.place = placeSelect.value;
  say(`Loading ${place.label} as ${persona().displayName}…`);
  frame.src = place.url;
}

/** The v1 context Teams answers `getContext` with; teams-js maps it to app.Context (public/app/app.js). */
function legacyContext(tab: LoadedTab): Record<string, unknown> {
  const user = persona();
  const context: Record<string, unknown> = {
    entityId: tab.entityId,
    subEntityId: '',
    locale: localeSelect.value,
    theme: theme(),
    frameContext: tab.frameContext,
    hostClientType: 'web',
    hostName: 'Teams',
    sessionId,
    appSessionId: sessionId,
    ringId: 'general',
    isFullScreen: false,
    isMultiWindow: false,
    userObjectId: user.aadObjectId,
    userPrincipalName: user.userPrincipalName,
    loginHint: user.userPrincipalName,
    userDisplayName: user.displayName,
    userLicenseType: 'Unknown',
    tid: config.tenantId,
    tenantSKU: 'enterprise',
  };
  const where = channel(tab.channelId);
  if (where) {
    Object.assign(context, {
      channelId: where.id,
      channelName: where.name,
      channelType: 'Regular',
      channelRelativeUrl: `/sites/${encodeURIComponent(config.team.name)}/Shared Documents/${where.name}`,
      teamId: config.team.id,
      teamName: config.team.name,
      teamType: 0,
      groupId: config.team.aadGroupId,
      hostTeamGroupId: config.team.aadGroupId,
      hostTeamTenantId: config.tenantId,
      userTeamRole: user.teamRole === 'owner' ? 0 : user.teamRole === 'guest' ? 2 : 1,
    });
  }
  return context;
}

async function fetchToken(personaId: string): Promise<[boolean, string]> {
  try {
    const response = await fetch('/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ personaId }),
      cache: 'no-store',
    });
    const answer = (await response.json()) as TokenAnswer;
    return 'token' in answer ? [true, answer.token] : [false, answer.error];
  } catch {
    return [false, 'tokenmissing'];
  }
}

function isInstanceConfig(value: unknown): value is InstanceConfig {
  return typeof value === 'object' && value !== null && typeof (value as InstanceConfig).contentUrl === 'string';
}

function isOnValidDomain(url: string): boolean {
  try {
    const parsed = new URL(url);
    return (parsed.protocol === 'https:' || parsed.protocol === 'http:') && config.tabOrigins.includes(parsed.origin);
  } catch {
    return false;
  }
}

function noteUnanswered(func: string): void {
  if (unanswered.has(func)) return;
  unanswered.add(func);
  const item = document.createElement('li');
  item.textContent = func;
  unansweredList.append(item);
  unansweredCount.textContent = String(unanswered.size);
}

/** Sends an event to the tab (`{ func, args }` with no id: communication.js hands it to handlers.js). */
function sendEvent(func: string, args: unknown[]): void {
  if (!loaded || !frame.contentWindow) return;
  frame.contentWindow.postMessage({ func, args }, loaded.origin);
}

/** Answers one request of the tab; `undefined` means a one-way message (no answer, as Teams). */
async function answerFor(request: TabRequest, tab: LoadedTab): Promise<unknown[] | undefined> {
  const args = request.args ?? [];
  // A call after initialize shows teams-js accepted this host's answer (it ignores parents it does not trust).
  if (request.func !== 'initialize') acceptedGeneration = tab.generation;
  switch (request.func) {
    case 'initialize':
      return [tab.frameContext, 'web', JSON.stringify(RUNTIME_CONFIG), config.hostSdkVersion];
    case 'getContext':
      return [legacyContext(tab)];
    case 'authentication.getAuthToken':
      return fetchToken(persona().aadObjectId);
    case 'registerHandler':
      if (typeof args[0] === 'string') registeredHandlers.add(args[0]);
      return undefined;
    case 'appInitialization.appLoaded':
      return undefined;
    case 'appInitialization.success':
      say(`${capitalised(tab.label)} is ready, signed in as ${persona().displayName}.`);
      document.documentElement.dataset.tabState = 'ready';
      return undefined;
    case 'appInitialization.failure':
    case 'appInitialization.expectedFailure':
      say(`${capitalised(tab.label)} reported a failure: ${textOf(args[0])}${args[1] ? ` (${textOf(args[1])})` : ''}`);
      document.documentElement.dataset.tabState = 'failed';
      return undefined;
    case 'settings.setValidityState':
      saveButton.disabled = tab.frameContext !== 'settings' || args[0] !== true;
      return undefined;
    case 'settings.setSettings':
      if (!isInstanceConfig(args[0])) return [false, 'setConfig needs a contentUrl'];
      if (!isOnValidDomain(args[0].contentUrl)) return [false, "contentUrl is not on one of the app's valid domains"];
      pendingConfig = args[0];
      return [true];
    case 'settings.getSettings':
      return [pendingConfig ?? (tab.channelId ? savedConfigs.get(tab.channelId) : undefined) ?? {}];
    case 'settings.save.success':
      finishSave(tab);
      return undefined;
    case 'settings.save.failure':
      say(`The configuration page refused to save: ${textOf(args[0] ?? 'no reason given')}`);
      return undefined;
    default:
      noteUnanswered(request.func);
      return undefined;
  }
}

/** Text of a value the tab sent, for the status line (which shows it with textContent). */
function textOf(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** After the config page's save handler succeeded: the channel now has the tab; open it there, as Teams does. */
function finishSave(tab: LoadedTab): void {
  if (!tab.channelId) return;
  if (!pendingConfig) {
    say('The configuration page saved without calling pages.config.setConfig: no tab was added.');
    return;
  }
  savedConfigs.set(tab.channelId, pendingConfig);
  placeSelect.value = `channel:${tab.channelId}`;
  loadTab();
}

function isTabRequest(data: unknown): data is TabRequest {
  return (
    typeof data === 'object' &&
    data !== null &&
    typeof (data as TabRequest).id === 'number' &&
    typeof (data as TabRequest).func === 'string'
  );
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const tab = loaded;
  // Only the tab we loaded, from the origin we loaded it from (Teams checks both as well).
  if (!tab || event.source !== frame.contentWindow || event.origin !== tab.origin) return;
  if (!isTabRequest(event.data)) return;
  const request = event.data;
  const target = event.source as Window;
  void answerFor(request, tab).then((args) => {
    if (args === undefined || tab.generation !== generation) return;
    const answer: Record<string, unknown> = { id: request.id, args };
    if (typeof request.uuidAsString === 'string') answer.uuidAsString = request.uuidAsString;
    target.postMessage(answer, tab.origin);
  });
});

/*
 * A page that never calls teams-js, or whose teams-js ignores this host (an http parent it was not given in
 * app.initialize, so no call follows initialize), would otherwise leave "Loading…" forever: say what to check.
 */
frame.addEventListener('load', () => {
  const tab = loaded;
  if (!tab) return;
  window.setTimeout(() => {
    if (tab.generation !== generation || acceptedGeneration === tab.generation) return;
    say(
      `${capitalised(tab.label)} made no teams-js call after initialize. If it uses teams-js, its ` +
        `app.initialize must list ${location.origin}: teams-js ignores the answers of an http parent it was not given.`,
    );
    document.documentElement.dataset.tabState = 'notInitialized';
  }, INITIALIZE_HINT_MS);
});

saveButton.addEventListener('click', () => {
  if (!loaded || loaded.frameContext !== 'settings') return;
  say('Saving…');
  sendEvent('settings.save', [{}]);
});

themeSelect.addEventListener('change', () => {
  rememberChoices();
  document.documentElement.dataset.theme = theme();
  if (registeredHandlers.has('themeChange')) sendEvent('themeChange', [theme()]);
});
personaSelect.addEventListener('change', loadTab);
localeSelect.addEventListener('change', loadTab);
placeSelect.addEventListener('change', loadTab);

const query = new URLSearchParams(location.search);
selectIfOffered(personaSelect, query.get('persona'));
selectIfOffered(themeSelect, query.get('theme'));
selectIfOffered(localeSelect, query.get('locale'));
selectIfOffered(placeSelect, query.get('place'));
document.documentElement.dataset.theme = theme();
loadTab();
