import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, describeConfig, loadConfig } from './config.js';

const problems = (env: NodeJS.ProcessEnv) => {
  try {
    loadConfig({ env, cwd: '/srv/td' });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

describe('configuration', () => {
  it('has working defaults: embedded database in ./data, port 3000, key file beside it', () => {
    const c = loadConfig({ env: {}, cwd: '/srv/td' });
    expect(c.port).toBe(3000);
    expect(c.databaseUrl).toBeUndefined();
    expect(c.dataDirPath).toBe('/srv/td/data');
    expect(c.keyFilePath).toBe('/srv/td/data/trustdesk.key');
    expect(c.publicUrl).toBe('http://localhost:3000');
    expect(c.auditOrigin).toBe('localhost:3000/trustdesk/audit');
  });

  it('names every bad setting and why, at once', () => {
    expect(problems({ TRUSTDESK_PORT: '-1', DATABASE_URL: 'mysql://x', TRUSTDESK_LOG_LEVEL: 'loud' })).toEqual([
      'TRUSTDESK_PORT: must be a whole number, got "-1"',
      'DATABASE_URL: must use postgres: or postgresql:, got mysql:',
      'TRUSTDESK_LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent, got "loud"',
    ]);
  });

  it('reads which reverse proxies to trust: none, hops (true is one hop, never "all"), or addresses and ranges', () => {
    const trust = (v: string) => loadConfig({ env: { TRUSTDESK_TRUST_PROXY: v }, cwd: '/srv/td' }).trustProxy;
    expect(loadConfig({ env: {}, cwd: '/srv/td' }).trustProxy).toBe(false);
    expect(trust('false')).toBe(false);
    expect(trust('0')).toBe(false);
    expect(trust('true')).toBe(1);
    expect(trust('2')).toBe(2);
    expect(trust('10.0.0.5, 192.168.0.0/16,::1,loopback')).toEqual(['10.0.0.5', '192.168.0.0/16', '::1', 'loopback']);
    expect(problems({ TRUSTDESK_TRUST_PROXY: '10.0.0.0/33' })[0]).toMatch(/^TRUSTDESK_TRUST_PROXY: .*"10.0.0.0\/33" is none of these/);
    expect(problems({ TRUSTDESK_TRUST_PROXY: 'proxy.internal' })[0]).toMatch(/^TRUSTDESK_TRUST_PROXY: /);
    expect(problems({ TRUSTDESK_TRUST_PROXY: '11' })).toEqual(['TRUSTDESK_TRUST_PROXY: must be at most 10 proxy hops, got 11']);
  });

  it('checks settings that go together', () => {
    expect(problems({ TRUSTDESK_TLS_CERT: '/c.pem' })).toEqual(['TRUSTDESK_TLS_CERT and TRUSTDESK_TLS_KEY: set both or neither']);
    expect(problems({ TRUSTDESK_KEY_PROVIDER: 'env' })).toEqual(['TRUSTDESK_KEK: required when TRUSTDESK_KEY_PROVIDER=env']);
  });

  it('reads an optional JSON config file, with the environment taking precedence', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'td-config-'));
    const file = path.join(dir, 'trustdesk.json');
    writeFileSync(file, JSON.stringify({ TRUSTDESK_PORT: 4000, TRUSTDESK_HOST: '0.0.0.0' }));
    expect(loadConfig({ env: { TRUSTDESK_CONFIG: file } }).port).toBe(4000);
    expect(loadConfig({ env: { TRUSTDESK_CONFIG: file, TRUSTDESK_PORT: '5000' } }).port).toBe(5000);
    writeFileSync(file, JSON.stringify({ TRUSTDESK_PROT: 1 }));
    expect(problems({ TRUSTDESK_CONFIG: file })[0]).toMatch(/unknown setting "TRUSTDESK_PROT"/);
    writeFileSync(file, '{oops');
    expect(problems({ TRUSTDESK_CONFIG: file })[0]).toMatch(/cannot read .* as JSON/);
  });

  it('never prints secrets when describing the configuration', () => {
    const c = loadConfig({ env: { DATABASE_URL: 'postgres://u:pw@db/x', TRUSTDESK_KEY_PROVIDER: 'env', TRUSTDESK_KEK: 'k:AAAA' } });
    const text = JSON.stringify(describeConfig(c));
    expect(text).not.toContain('pw@');
    expect(text).not.toContain('AAAA');
    expect(text).toContain('(secret, set)');
  });
});
