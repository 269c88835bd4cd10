import { describe, expect, it } from 'vitest';
import { maskToken } from './bearer-token.js';
import { ConfigError, describeServerConfig, parseServerConfig } from './server-config.js';

describe('parseServerConfig', () => {
  it('refuses to start with edits enabled and no token', () => {
    expect(() => parseServerConfig([], {})).toThrowError(ConfigError);
    expect(() => parseServerConfig([], {})).toThrowError(/GRACE_TOKEN/);
  });

  it('starts without a token only with --insecure or --read-only', () => {
    expect(parseServerConfig(['--insecure'], {}).insecure).toBe(true);
    expect(parseServerConfig(['--read-only'], {}).readOnly).toBe(true);
  });

  it('reads the environment, lets flags win, and defaults to loopback and ./data', () => {
    const config = parseServerConfig(['--port', '9000'], {
      PORT: '8000',
      HOST: '',
      GRACE_TOKEN: 'abcdefghijklmnop',
      GRACE_DATA_DIR: '/tmp/grace-data',
    });
    expect(config).toMatchObject({ port: 9000, host: '127.0.0.1', token: 'abcdefghijklmnop' });
    expect(config.dataDirectory).toBe('/tmp/grace-data');
    expect(parseServerConfig(['--insecure'], {}).dataDirectory).toMatch(/\/data$/);
  });

  it('names the flag of a bad value and refuses unknown flags', () => {
    expect(() => parseServerConfig(['--insecure', '--port', 'eighty'], {})).toThrowError(/--port/);
    expect(() => parseServerConfig(['--insecure', '--port', '70000'], {})).toThrowError(/65535/);
    expect(() => parseServerConfig(['--insecure', '--colour', 'red'], {})).toThrowError(
      /unknown flag --colour/,
    );
  });

  it('prints the configuration with the token masked', () => {
    const token = 'super-secret-token-value';
    const lines = describeServerConfig(parseServerConfig([], { GRACE_TOKEN: token })).join('\n');
    expect(lines).not.toContain(token);
    expect(lines).toContain(maskToken(token));
    expect(maskToken('short')).toBe('********');
  });

  it('keeps the log in SQLite by default and in PostgreSQL with --store / GRACE_STORE, password masked', () => {
    expect(parseServerConfig(['--insecure'], {}).store).toEqual({ kind: 'sqlite' });
    const url = 'postgres://grace:hunter2-secret@db.internal/grace';
    const config = parseServerConfig(['--insecure'], { GRACE_STORE: url });
    expect(config.store).toEqual({ kind: 'postgres', url });
    const banner = describeServerConfig(config).join('\n');
    expect(banner).not.toContain('hunter2-secret');
    expect(banner).toContain('postgres://grace:***@db.internal/grace');
    expect(() => parseServerConfig(['--insecure', '--store', 'mysql://x'], {})).toThrowError(/--store/);
    expect(() =>
      parseServerConfig(['--insecure', '--store', url, '--discard-log-after', '3'], {}),
    ).toThrowError(/SQLite log only/);
  });
});
