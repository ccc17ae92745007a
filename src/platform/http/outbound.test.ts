import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkOutboundUrl, isPublicAddress, OutboundRefusedError, sendOutboundRequest, type ResolveHost } from './outbound.js';

describe('isPublicAddress', () => {
  it.each([
    '127.0.0.1', '127.1.2.3', '10.0.0.1', '10.255.255.255', '172.16.0.1', '172.31.255.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0',
    '::1', '[::1]', '::', 'fe80::1', 'fc00::1', 'fd00:ec2::254', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:a9fe:a9fe', '64:ff9b::a9fe:a9fe', '2002:7f00:1::', '224.0.0.1', 'ff02::1',
    'not-an-ip',
  ])('refuses %s', (a) => expect(isPublicAddress(a)).toBe(false));
  it.each(['8.8.8.8', '1.1.1.1', '93.184.216.34', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('allows %s', (a) => expect(isPublicAddress(a)).toBe(true));
});

describe('sendOutboundRequest', () => {
  let server: http.Server;
  let port: number;
  const hits: string[] = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      hits.push(req.url ?? '');
      const m = /^\/redirect\?to=(.*)$/.exec(req.url ?? '');
      if (m?.[1]) {
        res.writeHead(302, { location: decodeURIComponent(m[1]) });
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const refused = async (p: Promise<unknown>, reason: string) => {
    const err = await p.then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(OutboundRefusedError);
    expect((err as OutboundRefusedError).reason).toBe(reason);
  };

  it.each(['http://127.0.0.1/', 'http://10.1.2.3/', 'http://169.254.169.254/latest/meta-data/', 'http://[::1]/', 'http://[::ffff:127.0.0.1]/', 'http://0x7f000001/', 'http://2130706433/'])(
    'refuses %s before connecting',
    async (url) => {
      await refused(sendOutboundRequest({ url }), 'private_address');
    },
  );

  it('refuses a hostname that resolves to loopback, and one whose answers mix in a private address', async () => {
    const resolve: ResolveHost = async (h) => (h === 'evil.example' ? [{ address: '127.0.0.1', family: 4 }] : [{ address: '8.8.8.8', family: 4 }, { address: '10.0.0.5', family: 4 }]);
    await refused(sendOutboundRequest({ url: 'http://evil.example/' }, { resolve }), 'private_address');
    await refused(sendOutboundRequest({ url: 'https://mixed.example/' }, { resolve }), 'private_address');
    await refused(checkOutboundUrl('http://evil.example/', { resolve }), 'private_address');
    // localhost through the real resolver
    await refused(sendOutboundRequest({ url: `http://localhost:${port}/` }), 'private_address');
  });

  it('refuses other schemes', async () => {
    await refused(sendOutboundRequest({ url: 'file:///etc/passwd' }), 'scheme');
    await refused(sendOutboundRequest({ url: 'gopher://x/' }), 'scheme');
  });

  // For these, 127.0.0.1 plays "the public internet" and the redirect targets are judged by the real rule.
  const asPublic = (a: string) => a === '127.0.0.1' || isPublicAddress(a);

  it('connects to the checked address only (pinning defeats a rebinding resolver)', async () => {
    let calls = 0;
    // First answer is "public"; any later answer would be the attacker's internal host.
    const rebinding: ResolveHost = async () => (calls++ === 0 ? [{ address: '127.0.0.1', family: 4 }] : [{ address: '10.0.0.1', family: 4 }]);
    const res = await sendOutboundRequest({ url: `http://rebind.example:${port}/hook`, body: '{}' }, { resolve: rebinding, isAllowedAddress: asPublic });
    expect(res.status).toBe(200);
    expect(res.remoteAddress).toBe('127.0.0.1');
    expect(calls).toBe(1);
  });

  it.each(['http://169.254.169.254/', 'http://10.0.0.1/', 'http://[::1]/', 'http://127.0.0.2/', 'http://loopback.example/'])('refuses a redirect to %s', async (target) => {
    const resolve: ResolveHost = async (h) => (h === 'loopback.example' ? [{ address: '127.0.0.9', family: 4 }] : [{ address: '127.0.0.1', family: 4 }]);
    hits.length = 0;
    await refused(sendOutboundRequest({ url: `http://127.0.0.1:${port}/redirect?to=${encodeURIComponent(target)}` }, { resolve, isAllowedAddress: asPublic }), 'private_address');
    expect(hits).toEqual([`/redirect?to=${encodeURIComponent(target)}`]);
  });

  it('follows a redirect to an allowed address, up to the limit', async () => {
    const ok = await sendOutboundRequest({ url: `http://127.0.0.1:${port}/redirect?to=${encodeURIComponent(`http://127.0.0.1:${port}/final`)}` }, { isAllowedAddress: asPublic });
    expect(ok.status).toBe(200);
    expect(ok.url).toContain('/final');
    const self = `http://127.0.0.1:${port}/redirect?to=${encodeURIComponent(`http://127.0.0.1:${port}/final`)}`;
    await refused(sendOutboundRequest({ url: `http://127.0.0.1:${port}/redirect?to=${encodeURIComponent(self)}` }, { isAllowedAddress: asPublic, maxRedirects: 1 }), 'redirect_limit');
  });

  it('reaches loopback only when private addresses are allowed by configuration', async () => {
    const res = await sendOutboundRequest({ url: `http://127.0.0.1:${port}/x` }, { allowPrivate: true });
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('ok');
  });
});
