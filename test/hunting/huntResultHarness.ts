import type { AuditTrail } from '../../src/audit/auditTrail';
import { createMessagesHandler } from '../../src/bot/botAdapter';
import { SocBot } from '../../src/bot/socBot';
import type { CommandContext } from '../../src/commands/commandContext';
import type { CustomerDirectory, CustomerTenant } from '../../src/customers/customerDirectory';
import { english } from '../../src/commands/phrasebook';
import { createIdentity } from '../../src/composition/identity';
import { Lifecycle } from '../../src/composition/lifecycle';
import { startPlatform } from '../../src/composition/platform';
import type { Config } from '../../src/config/config';
import type { HuntingAnswer, HuntingColumn, HuntingResultRow } from '../../src/hunting/huntingTypes';
import type { HuntResults } from '../../src/hunting/huntResultPresenter';
import { installHuntResults } from '../../src/hunting/huntResultsFeature';
import { translatorFor } from '../../src/i18n/translator';
import type { Locale } from '../../src/i18n/locale';
import { createLogger } from '../../src/logging/logger';
import { createHttpServer, listen } from '../../src/server/httpServer';
import { demoSeed } from '../support/demoTenant';
import { captureStream } from '../support/testApp';

/*
 * The bot with stored hunt results, composed as src/app.ts composes the product (platform, identities, the bot, the
 * server) but with only the parts hunt results touch, so these tests drive POST /api/messages with results made to
 * measure (hostile cells, 6,000 rows, an expiry) rather than through a hunt. Demo mode: each instance mints people's assertions from its own Entra emulator.
 */

/** One running bot instance with hunt results. */
export interface HuntResultBot {
  url: string;
  huntResults: HuntResults;
  audit: AuditTrail;
  stop(): Promise<void>;
}

/** Starts one instance on `config` (its storage decides whether instances share results; `customers`: bindings). */
export async function startHuntResultBot(
  config: Config,
  now: () => Date = () => new Date(),
  customers?: CustomerDirectory,
): Promise<HuntResultBot> {
  const logger = createLogger({ level: config.logLevel, destination: captureStream() });
  const lifecycle = new Lifecycle();
  try {
    const platform = await startPlatform(config, logger, now, lifecycle, {});
    const identity = createIdentity(platform);
    const huntResults = installHuntResults(platform, { customers });
    const bot = new SocBot({
      defender: platform.defender,
      graph: platform.graph,
      identity: identity.people,
      tokens: identity.defenderTokens,
      graphTokens: identity.graphTokens,
      phrasebook: english,
      logger,
      now,
      allowedTenantIds: undefined,
      adminConsentUrl: identity.adminConsentUrl,
      responseActions: undefined,
      notifications: undefined,
      audit: platform.audit,
      huntResults,
      customers,
    });
    const server = createHttpServer({ messages: createMessagesHandler(identity.botAdapter, bot, logger), logger });
    const running = await listen(server, 0, '127.0.0.1');
    lifecycle.onStop(() => running.close());
    return { url: running.url, huntResults, audit: platform.audit, stop: () => lifecycle.stop() };
  } catch (err) {
    await lifecycle.stop();
    throw err;
  }
}

/** A hunting answer streamed from a generator, its schema known once the rows were read (as Graph's may be). */
export function streamedAnswer(columns: HuntingColumn[], rows: () => Iterable<HuntingResultRow>): HuntingAnswer {
  return {
    rows: (async function* () {
      for (const row of rows()) {
        // A network read between rows, as Graph's streamed body has.
        await Promise.resolve();
        yield row;
      }
    })(),
    columns: () => Promise.resolve(columns),
  };
}

/** What a hunt command would pass to the presenter for a demo-tenant persona. */
export function commandContextOf(
  person: { aadObjectId: string; userPrincipalName: string; displayName: string },
  locale: Locale = 'en',
  now = new Date(),
): CommandContext {
  const missing = () => {
    throw new Error('hunt results never call Defender');
  };
  return {
    user: {
      tenantId: demoSeed.tenant.id,
      aadObjectId: person.aadObjectId,
      userPrincipalName: person.userPrincipalName,
      displayName: person.displayName,
      appRoles: [],
    },
    tenant: { id: demoSeed.tenant.id },
    i18n: translatorFor(locale, 'America/Sao_Paulo'),
    get auth(): never {
      return missing();
    },
    get defender(): never {
      return missing();
    },
    get graphAuth(): never {
      return missing();
    },
    get graph(): never {
      return missing();
    },
    now,
  };
}

/** Conversations bound to active customers, changed by the test (the registry's bind/unbind without consent). */
export class BoundCustomers implements CustomerDirectory {
  private readonly bindings = new Map<string, CustomerTenant[]>();

  bind(conversationId: string, customer: CustomerTenant): void {
    this.bindings.set(conversationId, [...(this.bindings.get(conversationId) ?? []), customer]);
  }

  unbind(conversationId: string): void {
    this.bindings.delete(conversationId);
  }

  activeCustomer(tenantId: string): Promise<CustomerTenant | undefined> {
    return Promise.resolve([...this.bindings.values()].flat().find((c) => c.tenantId === tenantId.toLowerCase()));
  }

  boundTo(conversationId: string): Promise<CustomerTenant[]> {
    return Promise.resolve(this.bindings.get(conversationId) ?? []);
  }

  byName(name: string): Promise<CustomerTenant | undefined> {
    return Promise.resolve([...this.bindings.values()].flat().find((c) => c.name.toLowerCase() === name.toLowerCase()));
  }
}
