import { describe, expect, it } from 'vitest';
import { bearerTokenMatches } from './bearer-token.js';

describe('bearerTokenMatches', () => {
  const token = 'correct-horse-battery-staple';

  it('accepts exactly the token as a bearer credential', () => {
    expect(bearerTokenMatches(`Bearer ${token}`, token)).toBe(true);
  });

  it('refuses other tokens of any length, other schemes and no header', () => {
    expect(bearerTokenMatches(`Bearer ${token}x`, token)).toBe(false);
    expect(bearerTokenMatches(`Bearer ${token.slice(0, -1)}`, token)).toBe(false);
    expect(bearerTokenMatches('Bearer ', token)).toBe(false);
    expect(bearerTokenMatches(`Basic ${token}`, token)).toBe(false);
    expect(bearerTokenMatches(token, token)).toBe(false);
    expect(bearerTokenMatches(undefined, token)).toBe(false);
  });
});
