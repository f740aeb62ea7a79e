import type { JSONWebKeySet, JWK } from 'jose';
import { SigningKey } from '../entra/signingKey';

/** The `iss` of every token the Bot Framework channel service sends to bots. */
export const CHANNEL_TOKEN_ISSUER = 'https://api.botframework.com';

/** The channel a key may sign for; botframework-connector matches it against `activity.channelId`. */
export const TEAMS_ENDORSEMENT = 'msteams';

/** How long a channel token is valid; the real ones live a few minutes. */
const CHANNEL_TOKEN_LIFETIME_SECONDS = 5 * 60;
/** How far in the past an `expired` token's `exp` lies: beyond the five minutes of skew botframework allows. */
const EXPIRED_MARGIN_SECONDS = 10 * 60;

/**
 * Ways to spoil a channel token, each one a request the bot must refuse. Without options the token is what the
 * Teams channel sends: RS256 with an `msteams`-endorsed published key, `iss` https://api.botframework.com,
 * `aud` = the bot's app id, `serviceurl` = the activity's serviceUrl, valid for five minutes.
 */
export interface SignActivityOptions {
  /** `exp` ten minutes in the past. */
  expired?: true;
  /** Another `aud` (another bot's app id). */
  audience?: string;
  /** Another `iss`. */
  issuer?: string;
  /** A `serviceurl` claim other than the activity's serviceUrl. */
  serviceUrl?: string;
  /** Signed by a key that is not in the published JWKS. */
  unknownKey?: true;
  /** The `kid` of the published key, but a corrupted signature. */
  badSignature?: true;
  /** `alg: none`, no signature (the header still names the published key). */
  unsigned?: true;
  /** Signed by a published key whose endorsements do not include `msteams`. */
  unendorsed?: true;
}

/**
 * The channel service's signing side: the published key set (one `msteams`-endorsed key, one key endorsed for
 * another channel only) and the tokens it puts on activities. Private keys stay in memory; each key is generated
 * on first use (RSA key generation costs tens of milliseconds, and connector-only tests never need one).
 */
export class ChannelSigner {
  private readonly keys = new Map<'endorsed' | 'otherChannel' | 'stray', SigningKey>();

  constructor(
    private readonly botAppId: string,
    private readonly now: () => Date,
  ) {}

  /**
   * The JWKS at `jwks_uri`. The second key is endorsed for `webchat` only: a key with no endorsements at all would
   * be accepted for any channel by botframework-connector, so "unendorsed" must mean "endorsed elsewhere".
   */
  keySet(): JSONWebKeySet {
    return {
      keys: [
        withEndorsements(this.key('endorsed').publicJwk(), [TEAMS_ENDORSEMENT]),
        withEndorsements(this.key('otherChannel').publicJwk(), ['webchat']),
      ],
    };
  }

  /** The bearer token for an activity posted to `serviceUrl` (the claim botframework compares with it). */
  sign(activityServiceUrl: string | undefined, options: SignActivityOptions = {}): string {
    const serviceUrl = options.serviceUrl ?? activityServiceUrl;
    if (serviceUrl === undefined) throw new Error('signActivity needs activity.serviceUrl (or options.serviceUrl)');
    const nowSeconds = Math.floor(this.now().getTime() / 1000);
    const issuedAt = options.expired
      ? nowSeconds - CHANNEL_TOKEN_LIFETIME_SECONDS - EXPIRED_MARGIN_SECONDS
      : nowSeconds;
    const claims = {
      serviceurl: serviceUrl,
      nbf: issuedAt,
      exp: issuedAt + CHANNEL_TOKEN_LIFETIME_SECONDS,
      iss: options.issuer ?? CHANNEL_TOKEN_ISSUER,
      aud: options.audience ?? this.botAppId,
      iat: issuedAt,
    };
    if (options.unsigned) {
      const header = { alg: 'none', typ: 'JWT', kid: this.key('endorsed').kid };
      return `${segment(header)}.${segment(claims)}.`;
    }
    const key = this.key(options.unknownKey ? 'stray' : options.unendorsed ? 'otherChannel' : 'endorsed');
    const token = key.sign(claims);
    return options.badSignature ? corruptSignature(token) : token;
  }

  /** `stray` is never published: it signs the `unknownKey` forgeries. */
  private key(name: 'endorsed' | 'otherChannel' | 'stray'): SigningKey {
    let key = this.keys.get(name);
    if (!key) {
      key = new SigningKey();
      this.keys.set(name, key);
    }
    return key;
  }
}

function withEndorsements(jwk: JWK, endorsements: string[]): JWK {
  return { ...jwk, endorsements } as JWK;
}

function segment(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Flips bits in the middle of the signature, keeping it well-formed base64url of the right length. */
function corruptSignature(token: string): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const bytes = Buffer.from(signature, 'base64url');
  const middle = Math.floor(bytes.length / 2);
  bytes[middle] = (bytes[middle] ?? 0) ^ 0xff;
  return `${header}.${payload}.${bytes.toString('base64url')}`;
}
