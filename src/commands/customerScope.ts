import type { CustomerDirectory, CustomerTenant } from '../customers/customerDirectory';
import { AppError } from '../errors';
import type { DefenderTenantRef } from './commandContext';

/** A trailing "for <customer>" (or "para <cliente>"), the words a person adds to say which customer they mean. */
const CUSTOMER_SUFFIX = /^(.*\S)\s+(?:for|para)\s+(.{1,64}?)\s*[.!?]?\s*$/i;

/**
 * Which Defender tenant one turn is about (partner context). A conversation bound to customers addresses only
 * those; one that is not bound addresses its own tenant, as before. The choice comes from what the person said
 * ("… for contoso"), from the tenant a clicked card was about (checked against the bindings, never trusted), or
 * from the only customer bound; with several and no choice, the command asks (AppError `customerNotChosen`).
 */
export class CustomerScope {
  private named: string | undefined;
  private pinned: string | undefined;
  private resolved: Promise<DefenderTenantRef> | undefined;
  private chosen: DefenderTenantRef | undefined;
  private readonly stripped = new Map<string, Promise<string>>();

  constructor(
    private readonly directory: CustomerDirectory | undefined,
    private readonly conversation: { tenantId: string | undefined; conversationId: string | undefined },
  ) {}

  /**
   * Takes a trailing "for <customer>" off a command when it names a customer the provider has (bound here or not:
   * naming one that is not bound is answered, not read as part of the command); other "for …" stay, e.g.
   * "subscribe to high alerts for device group Finance".
   */
  strip(text: string): Promise<string> {
    // A turn reads its text more than once (to decide, to answer, to offer a choice): the name is looked up once.
    let stripped = this.stripped.get(text);
    if (!stripped) {
      stripped = this.lookUp(text);
      this.stripped.set(text, stripped);
    }
    return stripped;
  }

  private async lookUp(text: string): Promise<string> {
    const match = CUSTOMER_SUFFIX.exec(text);
    if (!match || !this.directory) return text;
    const [, rest, name] = match as unknown as [string, string, string];
    const customer = await this.directory.byName(name);
    if (!customer) return text;
    this.named = customer.name;
    return rest;
  }

  /** The tenant a clicked card says it is about; it still has to be one this conversation may address. */
  pin(tenantId: string): void {
    this.pinned = tenantId.toLowerCase();
  }

  /** The tenant of this turn (resolved once): AppError `customerNotChosen` / `customerNotBound` when it cannot be. */
  resolve(): Promise<DefenderTenantRef> {
    this.resolved ??= this.choose().then((tenant) => (this.chosen = tenant));
    return this.resolved;
  }

  /** The tenant once resolved, synchronously (undefined before, or when it could not be resolved). */
  current(): DefenderTenantRef | undefined {
    return this.chosen;
  }

  /** The conversation's own tenant (the provider's, in an MSSP's Teams): for commands about the provider itself. */
  home(): DefenderTenantRef {
    const own = this.conversation.tenantId?.toLowerCase();
    if (own === undefined) throw new AppError('notSignedIn', 'the activity names no tenant');
    this.chosen ??= { id: own };
    this.resolved ??= Promise.resolve(this.chosen);
    return { id: own };
  }

  /** The tenant once resolved (undefined before a command needed one). */
  async settled(): Promise<DefenderTenantRef | undefined> {
    return this.resolved ? this.resolved.catch(() => undefined) : undefined;
  }

  private async choose(): Promise<DefenderTenantRef> {
    const own = this.conversation.tenantId?.toLowerCase();
    const bound =
      this.directory && this.conversation.conversationId
        ? await this.directory.boundTo(this.conversation.conversationId)
        : [];
    const names = bound.map((c) => c.name);
    const refOf = (customer: CustomerTenant): DefenderTenantRef => ({
      id: customer.tenantId,
      customerName: customer.name,
    });
    if (this.named !== undefined) {
      const customer = bound.find((c) => c.name.toLowerCase() === this.named?.toLowerCase());
      if (!customer) throw notBound(this.named, names);
      return refOf(customer);
    }
    if (this.pinned !== undefined) {
      const customer = bound.find((c) => c.tenantId.toLowerCase() === this.pinned);
      if (customer) return refOf(customer);
      if (bound.length === 0 && own !== undefined && this.pinned === own) return { id: own };
      // Not named: a forged tenant id must not learn whether that tenant is a customer of the provider.
      throw notBound('The tenant this card is about', names);
    }
    if (bound.length === 1) return refOf(bound[0] as CustomerTenant);
    if (bound.length > 1)
      throw new AppError('customerNotChosen', 'several customers are bound here', { customerChoices: names });
    if (own === undefined) throw new AppError('notSignedIn', 'the activity names no tenant');
    return { id: own };
  }
}

function notBound(name: string, choices: string[]): AppError {
  return new AppError('customerNotBound', 'the customer named is not bound to this conversation', {
    customerName: name,
    customerChoices: choices,
  });
}
