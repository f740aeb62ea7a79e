/**
 * Two base64url segments that each decode to a JSON object (`eyJ` is base64 for `{"`), joined by dots: the
 * shape of a JWT or JWS. Deliberately broad (no minimum length) — a false positive costs an audit write, a
 * false negative puts a bearer token into a file shipped to a SIEM.
 */
const JWT_SHAPE = /eyJ[A-Za-z0-9_-]*\.eyJ[A-Za-z0-9_-]*\./;

/** True when `text` contains something shaped like a JWT. */
export function containsJwt(text: string): boolean {
  return JWT_SHAPE.test(text);
}
