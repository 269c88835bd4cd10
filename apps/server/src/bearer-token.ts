import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Whether an `Authorization` header carries the expected bearer token. Both sides are hashed first, so the
 * comparison is constant-time over equal-length digests whatever the lengths of the token and the guess
 * (comparing the raw strings would leak the token's length, and `timingSafeEqual` refuses unequal lengths).
 */
export function bearerTokenMatches(header: string | undefined, expectedToken: string): boolean {
  // RFC 9110: the scheme is case-insensitive; one or more spaces separate it from the credentials.
  const match = header === undefined ? null : /^bearer +(\S+) *$/i.exec(header);
  const presented = match?.[1] ?? '';
  const matches = timingSafeEqual(digest(presented), digest(expectedToken));
  return matches && presented.length > 0;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** The token as the start-up banner prints it: enough to tell two tokens apart, never enough to use one. */
export function maskToken(token: string | undefined): string {
  if (token === undefined || token.length === 0) return '(none)';
  if (token.length < 12) return '*'.repeat(8);
  return `${token.slice(0, 2)}${'*'.repeat(8)}${token.slice(-2)} (${token.length} characters)`;
}
