import type { CardInLanguage } from '../commands/responseActions';
import { toNoticeCard } from '../cards/noticeCard';
import { formatAge, formatTimestamp } from '../cards/text';
import type { Logger } from '../logging/logger';
import { serializeError } from '../logging/logger';
import type { Containment, ContainmentRegister } from '../approvals/containmentRegister';
import type { AuditSink } from '../approvals/auditSink';
import type { ContainmentNow } from './containmentCheck';
import { forgetReleased } from './containmentCheck';

/** Options of the containment reminders. */
export interface ContainmentRemindersOptions {
  register: ContainmentRegister;
  /** Posts a card into a stored conversation in that conversation's language (the approval publisher's `postTo`). */
  post(address: unknown, render: CardInLanguage): Promise<unknown>;
  /** Whether this instance does the tenant's background work (several instances: one reminder, not N). */
  owns(tenantId: string): boolean;
  /** What Defender shows now (read with the bot's own read-only identity): a released device earns no reminder. */
  check(tenantId: string, containment: Containment): Promise<ContainmentNow>;
  /** Whether a request to release this containment is open (awaiting approval or in flight): no reminder then. */
  releaseRequested(tenantId: string, containment: Containment): Promise<boolean>;
  /** Where forgetting a containment Defender shows released is recorded. */
  audit: AuditSink;
  /** A containment older than this gets a reminder, then one more each time this much has passed again. */
  afterMs: number;
  logger: Logger;
  now: () => Date;
}

/**
 * Reminds the requester when a device stays isolated or code-restricted longer than the configured age (a
 * containment forgotten after the investigation is an outage): a card in the conversation the request was made in,
 * naming the device, since when, who asked and how to release it, then again each period while it lasts — after
 * checking with Defender that it still holds (a device released in the portal leaves the register instead). The
 * reminder time is recorded, so a restart or another instance does not repeat it.
 */
export class ContainmentReminders {
  constructor(private readonly options: ContainmentRemindersOptions) {}

  /** One pass over every tenant this instance owns; resolves with the number of reminders sent. */
  async round(): Promise<number> {
    const { register, logger } = this.options;
    let sent = 0;
    for (const tenantId of await register.tenants()) {
      if (!this.options.owns(tenantId)) continue;
      for (const containment of await register.list(tenantId)) {
        if (!this.isDue(containment)) continue;
        try {
          if (await this.remind(tenantId, containment)) sent++;
        } catch (err) {
          logger.warn({ err: serializeError(err), approvalId: containment.approvalId }, 'containment reminder failed');
        }
      }
    }
    return sent;
  }

  private isDue(containment: Containment): boolean {
    if (containment.requestedIn === undefined) return false;
    const now = this.options.now().getTime();
    const last = Date.parse(containment.remindedAt ?? containment.since);
    return now - Date.parse(containment.since) >= this.options.afterMs && now - last >= this.options.afterMs;
  }

  private async remind(tenantId: string, c: Containment): Promise<boolean> {
    const now = this.options.now();
    // Someone already asked to release it: they know.
    if (await this.options.releaseRequested(tenantId, c)) return false;
    // The register knows what the bot did; Defender knows what is true. Released elsewhere: forget it (audited).
    // Being released, or not readable for sure: no reminder this round.
    const seen = await this.options.check(tenantId, c);
    if (seen === 'released') {
      await forgetReleased(
        { register: this.options.register, audit: this.options.audit },
        tenantId,
        c,
        'reminderCheck',
        now,
      );
      return false;
    }
    if (seen !== 'contained') return false;
    const render: CardInLanguage = (i18n) => {
      const age = formatAge(c.since, now, i18n);
      return {
        card: toNoticeCard({
          heading: i18n.t('tab.reminder.heading', { device: c.deviceName }),
          text: i18n.t('tab.reminder.text', {
            device: c.deviceName,
            kind: c.kind,
            since: formatTimestamp(c.since, i18n),
            age,
            requester: c.requester.displayName,
            approvalId: c.approvalId,
            command: i18n.t('tab.reminder.command', { kind: c.kind, device: c.deviceName }),
          }),
          color: 'warning',
          reference: c.approvalId,
        }),
        summary: i18n.t('tab.reminder.summary', { device: c.deviceName, age }),
      };
    };
    const posted = await this.options.post(c.requestedIn, render);
    if (posted === undefined) return false;
    await this.options.register.markReminded(tenantId, c.deviceId, c.kind, now);
    return true;
  }
}
