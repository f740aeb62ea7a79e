import type { Storage, StoreItem } from '../storage/storage';
import type { Person } from './approvalTypes';

/** Where a tenant's approval requests are also posted (a channel or group chat of approvers). */
export interface ApprovalsChannel {
  /** The bot layer's conversation address (opaque here). */
  address: unknown;
  conversationId: string;
  setBy: Person;
  setAt: string;
}

/** Per-tenant approval settings, in the same durable store as the requests. */
export class ApprovalSettings {
  constructor(private readonly storage: Storage) {}

  /** The approvers' conversation of a tenant, if an admin chose one. */
  async approvalsChannel(tenantId: string): Promise<ApprovalsChannel | undefined> {
    const key = channelKey(tenantId);
    const item = (await this.storage.read([key]))[key] as (ApprovalsChannel & StoreItem) | undefined;
    if (!item) return undefined;
    const { eTag: _eTag, ...channel } = item;
    return channel;
  }

  /** Makes a conversation the tenant's approvers' conversation (last writer wins: an admin decision). */
  async setApprovalsChannel(tenantId: string, channel: ApprovalsChannel): Promise<void> {
    await this.storage.write({ [channelKey(tenantId)]: { ...channel, eTag: '*' } });
  }
}

function channelKey(tenantId: string): string {
  return `settings/${tenantId.toLowerCase()}/approvalsChannel`;
}
