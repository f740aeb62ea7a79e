/** A Bot Connector request, understood from method and path; ids are decoded (`19:…@thread.tacv2;messageid=…`). */
export type ConnectorRoute =
  | { kind: 'operation'; operation: 'create' }
  | { kind: 'operation'; operation: 'send'; conversationId: string }
  | { kind: 'operation'; operation: 'reply' | 'update' | 'delete'; conversationId: string; activityId: string }
  | { kind: 'operation'; operation: 'members'; conversationId: string; memberId?: string; paged?: true }
  | { kind: 'methodNotAllowed'; allow: string }
  | { kind: 'unknown' };

/**
 * Parses `…/v3/conversations[/{conversationId}[/activities[/{activityId}]|/members[/{memberId}]|/pagedmembers]]`.
 * A prefix before `v3` is allowed because Teams service URLs carry one (`https://smba.trafficmanager.net/amer/`).
 * botbuilder's ConnectorClient percent-encodes each id as one path segment, so the path is split before decoding.
 * Returns undefined for paths that are not connector paths at all.
 */
export function parseConnectorRoute(method: string, pathname: string): ConnectorRoute | undefined {
  const raw = pathname.split('/').filter((segment) => segment.length > 0);
  const start = raw.findIndex((segment, index) => segment === 'v3' && raw[index + 1] === 'conversations');
  if (start < 0) return undefined;
  let rest: string[];
  try {
    rest = raw.slice(start + 2).map((segment) => decodeURIComponent(segment));
  } catch {
    return { kind: 'unknown' };
  }
  const allow = (expected: string, route: ConnectorRoute): ConnectorRoute =>
    method === expected ? route : { kind: 'methodNotAllowed', allow: expected };

  const [conversationId, collection, itemId, ...extra] = rest;
  if (conversationId === undefined) return allow('POST', { kind: 'operation', operation: 'create' });
  if (extra.length > 0 || collection === undefined) return { kind: 'unknown' };
  switch (collection) {
    case 'activities':
      if (itemId === undefined) return allow('POST', { kind: 'operation', operation: 'send', conversationId });
      if (method === 'POST') return { kind: 'operation', operation: 'reply', conversationId, activityId: itemId };
      if (method === 'PUT') return { kind: 'operation', operation: 'update', conversationId, activityId: itemId };
      if (method === 'DELETE') return { kind: 'operation', operation: 'delete', conversationId, activityId: itemId };
      return { kind: 'methodNotAllowed', allow: 'POST, PUT, DELETE' };
    case 'members':
      return allow('GET', {
        kind: 'operation',
        operation: 'members',
        conversationId,
        ...(itemId !== undefined ? { memberId: itemId } : {}),
      });
    case 'pagedmembers':
      if (itemId !== undefined) return { kind: 'unknown' };
      return allow('GET', { kind: 'operation', operation: 'members', conversationId, paged: true });
    default:
      return { kind: 'unknown' };
  }
}
