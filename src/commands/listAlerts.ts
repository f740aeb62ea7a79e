import { describeAlertQuery, sortNewestFirst, toAlertListCard } from '../cards/alertListCard';
import type { AlertListQuery } from '../defender/alertListQuery';
import { toAlertFilter } from '../defender/alertListQuery';
import type { ListResult } from '../defender/defenderClient';
import type { Alert } from '../defender/schemas';
import type { CommandContext, Reply } from './commandContext';
import { cardReply } from './commandContext';
import { deviceChoiceReply } from './deviceChoices';
import { resolveDevice } from './resolveDevice';

/** Alerts fetched per list: enough to sort and count in one call, small enough to stay fast. */
export const MAX_ALERTS_PER_LIST = 500;
const DEVICE_ID = /^[0-9a-f]{40}$/i;

/**
 * "show high alerts" and friends: one Defender call (two when a device name must be resolved), newest
 * first, 10 per card with paging. The same function serves the "Show more" button, under the clicker's token.
 */
export async function listAlerts(ctx: CommandContext, query: AlertListQuery, page: number): Promise<Reply> {
  const filter = toAlertFilter(query, { userPrincipalName: ctx.user.userPrincipalName, now: ctx.now });
  let result: ListResult<Alert>;
  let deviceName: string | undefined;
  let scoped = query;
  if (query.device === undefined) {
    result = await ctx.defender.listAlerts(ctx.auth, { filter, max: MAX_ALERTS_PER_LIST });
  } else {
    let machineId = query.device;
    if (!DEVICE_ID.test(machineId)) {
      const resolution = await resolveDevice(ctx.defender, ctx.auth, query.device);
      if (resolution.kind !== 'found') {
        return deviceChoiceReply(
          resolution,
          (device) => ({ verb: 'alerts.page', data: { query: { ...query, device }, page: 0 } }),
          ctx.now,
          ctx.i18n,
        );
      }
      machineId = resolution.machine.id;
      deviceName = resolution.machine.computerDnsName;
    }
    scoped = { ...query, device: machineId.toLowerCase() };
    result = await ctx.defender.listMachineAlerts(ctx.auth, machineId.toLowerCase(), {
      filter,
      max: MAX_ALERTS_PER_LIST,
    });
    deviceName ??= result.items[0]?.computerDnsName ?? machineId;
  }
  const alerts = sortNewestFirst(result.items);
  const card = toAlertListCard(
    { query: scoped, page, alerts, truncated: result.truncated, deviceName, now: ctx.now },
    ctx.i18n,
  );
  const { heading } = describeAlertQuery(query, ctx.i18n);
  return cardReply(card, `${heading}: ${alerts.length}${result.truncated ? '+' : ''}`);
}
