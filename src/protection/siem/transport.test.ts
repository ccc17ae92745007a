/**
 * The transports against local servers: octet-counted frames over TCP, datagrams over UDP, the HTTP Event
 * Collector POST (token header, one JSON object per line), and destinations that refuse, hang in the TLS
 * handshake, answer an error or sit on a private address without permission: each gives a clear error.
 * Misbehaving receivers, each a real local socket: one that accepts and never reads (the write times out and the
 * connection is dropped), one that reads slowly (delivered), one that resets or stops mid-batch and comes back (the
 * batch fails, so it is not counted delivered, and the new connection gets all of it); collectors answering 5xx,
 * 429 with Retry-After, slowly, or with a body that never ends.
 */
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { readOctetCountedFrames, type SiemEvent } from './format.js';
import { retryDelay } from './sender.js';
import { createTransport, RetryLaterError, retryAfterMs, type TransportConfig } from './transport.js';

const fmt = { hostname: 'help.example.com', productVersion: '1.0.0' };
const base: TransportConfig = { transport: 'tcp', host: '127.0.0.1', port: 1, url: null, format: 'cef', caPem: null, clientCertPem: null, clientKeyPem: null, token: null };
const ev = (seq: number): SiemEvent => ({
  seq,
  prev: seq - 1,
  id: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
  ts: new Date('2026-12-03T00:00:00Z'),
  orgId: 'org-1',
  actorType: 'user',
  actorId: 'u-1',
  action: 'ticket.read',
  objectType: 'ticket',
  objectId: 't-1',
  subject: null,
  result: 'success',
  requestId: null,
  sourceIp: '127.0.0.1',
});

const closers: Array<() => void> = [];
afterEach(() => {
  while (closers.length) closers.pop()!();
});

async function listen(server: net.Server | http.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => server.close());
  return (server.address() as net.AddressInfo).port;
}

describe('SIEM transports', () => {
  it('TCP: writes octet-counted RFC 5424 frames on one connection, kept between batches', async () => {
    let received = Buffer.alloc(0);
    let connections = 0;
    const server = net.createServer((s) => {
      connections++;
      s.on('data', (d) => (received = Buffer.concat([received, d])));
      closers.push(() => s.destroy());
    });
    const port = await listen(server);
    const t = createTransport({ ...base, port }, { ...fmt, outbound: { allowPrivate: true } });
    await t.deliver([ev(1), ev(2)]);
    await t.deliver([ev(3)]);
    await expect.poll(() => readOctetCountedFrames(received).frames.length).toBe(3);
    const frames = readOctetCountedFrames(received).frames;
    expect(frames.map((f) => /seq="(\d+)"/.exec(f)?.[1])).toEqual(['1', '2', '3']);
    expect(frames[0]).toMatch(/^<110>1 2026-12-03T00:00:00.000Z help.example.com trustdesk - ticket.read \[trustdesk@32473 seq="1" prev="0" org="org-1" entry="[^"]+"\] CEF:0\|Trustdesk\|/);
    expect(connections).toBe(1);
    t.close();
  });

  it('UDP: one message per datagram, no framing', async () => {
    const sock = dgram.createSocket('udp4');
    const got: string[] = [];
    sock.on('message', (m) => got.push(m.toString('utf8')));
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
    closers.push(() => sock.close());
    const t = createTransport({ ...base, transport: 'udp', port: sock.address().port, format: 'ocsf' }, { ...fmt, outbound: { allowPrivate: true } });
    await t.deliver([ev(7), ev(8)]);
    await expect.poll(() => got.length).toBe(2);
    expect(got[0]).toMatch(/^<110>1 .* \[trustdesk@32473 seq="7" /);
    expect(JSON.parse(got[1]!.slice(got[1]!.indexOf('] ') + 2))).toMatchObject({ class_uid: 6003, metadata: { sequence: 8 } });
  });

  it('HTTPS (HEC shape): one POST, `Authorization: Splunk <token>`, one JSON object per line; a non-2xx answer is a failure', async () => {
    const requests: Array<{ auth: string | undefined; body: string }> = [];
    let status = 200;
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        requests.push({ auth: req.headers.authorization, body });
        res.writeHead(status, { 'content-type': 'application/json' }).end('{"text":"Success","code":0}');
      });
    });
    const port = await listen(server);
    const t = createTransport({ ...base, transport: 'https', host: null, port: null, url: `http://127.0.0.1:${port}/services/collector/event`, token: 'hec-token-123', format: 'ocsf' }, { ...fmt, outbound: { allowPrivate: true } });
    await t.deliver([ev(1), ev(2)]);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.auth).toBe('Splunk hec-token-123');
    const lines = requests[0]!.body.split('\n').map((l) => JSON.parse(l) as { fields: { seq: number }; event: { metadata: { sequence: number } }; sourcetype: string });
    expect(lines.map((l) => l.fields.seq)).toEqual([1, 2]);
    expect(lines[1]!.event.metadata.sequence).toBe(2);
    expect(lines[0]!.sourcetype).toBe('trustdesk:ocsf');
    status = 403;
    await expect(t.deliver([ev(3)])).rejects.toThrow('the collector answered HTTP 403');
  });

  it('a refused connection, a TLS handshake that never ends and a private address without permission each fail with a clear reason', async () => {
    const closed = await listen(net.createServer());
    closers.pop()!();
    await expect(createTransport({ ...base, port: closed }, { ...fmt, outbound: { allowPrivate: true } }).deliver([ev(1)])).rejects.toThrow(/ECONNREFUSED/);

    // Accepts TCP, never answers the TLS handshake.
    const silent = net.createServer((s) => closers.push(() => s.destroy()));
    const port = await listen(silent);
    const tls = createTransport({ ...base, transport: 'tls', port }, { ...fmt, outbound: { allowPrivate: true }, connectTimeoutMs: 150 });
    await expect(tls.deliver([ev(1)])).rejects.toThrow(`connecting to 127.0.0.1:${port} timed out after 150 ms`);

    // A plain TCP listener that answers garbage to the TLS hello.
    const garbage = net.createServer((s) => s.end('not tls\n'));
    const gport = await listen(garbage);
    await expect(createTransport({ ...base, transport: 'tls', port: gport }, { ...fmt, outbound: { allowPrivate: true } }).deliver([ev(1)])).rejects.toThrow();

    await expect(createTransport({ ...base, port }, { ...fmt, outbound: {} }).deliver([ev(1)])).rejects.toThrow('That address cannot be reached from this server.');
  });

  it('TLS: the CA given is trusted, the server’s name is always checked, and a client certificate is presented for mutual TLS', async () => {
    // A CA, a server certificate for 127.0.0.1, one for another name, and a client certificate, made now.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'siem-tls-'));
    const ssl = (...args: string[]) => expect(spawnSync('openssl', args, { cwd: dir }).status).toBe(0);
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
    ssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=Test CA');
    for (const [name, san] of [['server', 'IP:127.0.0.1'], ['other', 'DNS:siem.example.net'], ['client', 'DNS:trustdesk.example']] as const) {
      writeFileSync(path.join(dir, `${name}.ext`), `subjectAltName=${san}\nbasicConstraints=CA:FALSE\n`);
      ssl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
      ssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '1', '-extfile', `${name}.ext`);
    }
    const files = Object.fromEntries(['ca.pem', 'server.pem', 'server.key', 'other.pem', 'other.key', 'client.pem', 'client.key'].map((f) => [f, readFileSync(path.join(dir, f), 'utf8')]));
    rmSync(dir, { recursive: true, force: true });
    const read = (f: string) => files[f]!;
    const frames: string[] = [];
    const peers: Array<string | undefined> = [];
    const caPem = read('ca.pem');
    const serve = async (cert: string, key: string) => {
      const server = tls.createServer({ cert, key, ca: caPem, requestCert: true, rejectUnauthorized: false }, (s) => {
        peers.push(s.authorized ? (s.getPeerCertificate().subject as { CN?: string } | undefined)?.CN : undefined);
        s.on('data', (d: Buffer) => frames.push(...readOctetCountedFrames(d).frames));
        closers.push(() => s.destroy());
      });
      return listen(server);
    };
    const good = await serve(read('server.pem'), read('server.key'));
    const other = await serve(read('other.pem'), read('other.key'));
    const opts = { ...fmt, outbound: { allowPrivate: true } };

    const mtls = createTransport({ ...base, transport: 'tls', port: good, caPem, clientCertPem: read('client.pem'), clientKeyPem: read('client.key') }, opts);
    await mtls.deliver([ev(1)]);
    await expect.poll(() => frames.length).toBe(1);
    expect(peers).toEqual(['client']);
    mtls.close();
    // The system's CAs do not know the test CA.
    await expect(createTransport({ ...base, transport: 'tls', port: good }, opts).deliver([ev(2)])).rejects.toThrow(/certificate/i);
    // A certificate for another name is refused, whoever signed it.
    await expect(createTransport({ ...base, transport: 'tls', port: other, caPem }, opts).deliver([ev(3)])).rejects.toThrow(/ERR_TLS_CERT_ALTNAME_INVALID|does not match|not in the cert/i);
    expect(frames).toHaveLength(1);
  });
});

describe('SIEM transports against misbehaving receivers', () => {
  // Bigger than what the kernel buffers on loopback (a few MB): the write completes only if the receiver reads.
  const BIG = 10_000;
  const many = (from: number, n: number) => Array.from({ length: n }, (_, i) => ev(from + i));
  const quick = (over: { connectTimeoutMs?: number; writeTimeoutMs?: number } = {}) => ({ ...fmt, outbound: { allowPrivate: true }, connectTimeoutMs: 500, writeTimeoutMs: 500, ...over });
  const seqsOf = (data: Buffer) => readOctetCountedFrames(data).frames.map((f) => Number(/ seq="(\d+)"/.exec(f)?.[1]));

  it('TCP: a receiver that accepts and never reads: the write times out, the connection is dropped, the next batch opens a new one', async () => {
    const sockets: net.Socket[] = [];
    const server = net.createServer((s) => {
      s.pause();
      sockets.push(s);
      closers.push(() => s.destroy());
    });
    const port = await listen(server);
    const t = createTransport({ ...base, port }, quick({ writeTimeoutMs: 300 }));
    const started = Date.now();
    await expect(t.deliver(many(1, BIG))).rejects.toThrow('writing to the destination timed out after 300 ms');
    expect(Date.now() - started).toBeLessThan(5000);
    await expect(t.deliver(many(1, 10))).resolves.toBeUndefined();
    expect(sockets).toHaveLength(2);
    t.close();
  });

  it('TCP: a receiver that reads slowly, within the time limit, gets the whole batch in order', async () => {
    const chunks: Buffer[] = [];
    const received = () => Buffer.concat(chunks);
    const server = net.createServer((s) => {
      s.pause();
      setTimeout(() => s.resume(), 200);
      s.on('data', (d: Buffer) => chunks.push(d));
      closers.push(() => s.destroy());
    });
    const port = await listen(server);
    const t = createTransport({ ...base, port }, quick({ writeTimeoutMs: 5000 }));
    const started = Date.now();
    await t.deliver(many(1, BIG));
    // It waited for the reader: the batch did not fit in the buffers.
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    await expect.poll(() => seqsOf(received()).length).toBe(BIG);
    expect(seqsOf(received())).toEqual(many(1, BIG).map((e) => e.seq));
    t.close();
  });

  it('TCP: a receiver that resets mid-batch fails the batch; the connection that comes back gets every message of it', async () => {
    const chunks: Buffer[][] = [];
    const got = (n: number) => Buffer.concat(chunks[n] ?? []);
    const server = net.createServer((s) => {
      const n = chunks.length;
      chunks.push([]);
      let length = 0;
      s.on('data', (d: Buffer) => {
        chunks[n]!.push(d);
        length += d.length;
        // The first connection is reset after 64 KiB, in the middle of the batch.
        if (n === 0 && length > 64 * 1024) s.resetAndDestroy();
      });
      s.on('error', () => undefined);
      closers.push(() => s.destroy());
    });
    const port = await listen(server);
    const t = createTransport({ ...base, port }, quick({ writeTimeoutMs: 5000 }));
    await expect(t.deliver(many(1, BIG))).rejects.toThrow(/ECONNRESET|EPIPE|closed the connection/);
    expect(seqsOf(got(0)).length).toBeLessThan(BIG);
    // The sender sends the batch again from its cursor: the new connection holds all of it (the first, a prefix).
    await t.deliver(many(1, BIG));
    await expect.poll(() => seqsOf(got(1)).length).toBe(BIG);
    expect(seqsOf(got(1))).toEqual(many(1, BIG).map((e) => e.seq));
    t.close();
  });

  it('TCP: a receiver that stops mid-batch is refused while down, and after its restart gets the whole batch', async () => {
    let chunks: Buffer[] = [];
    let length = 0;
    let stopAt = 64 * 1024;
    const sockets = new Set<net.Socket>();
    const onConnection = (s: net.Socket) => {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('data', (d: Buffer) => {
        chunks.push(d);
        length += d.length;
        if (length > stopAt) {
          stopAt = Infinity;
          // The receiver stops: no new connections, the open one dropped.
          server.close();
          for (const x of sockets) x.destroy();
        }
      });
    };
    let server = net.createServer(onConnection);
    const port = await listen(server);
    const t = createTransport({ ...base, port }, quick({ writeTimeoutMs: 5000 }));
    await expect(t.deliver(many(1, BIG))).rejects.toThrow();
    await expect(t.deliver(many(1, BIG))).rejects.toThrow(/ECONNREFUSED/);
    chunks = [];
    server = net.createServer(onConnection);
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    closers.push(() => {
      server.close();
      for (const x of sockets) x.destroy();
    });
    await t.deliver(many(1, BIG));
    await expect.poll(() => seqsOf(Buffer.concat(chunks)).length).toBe(BIG);
    t.close();
  });

  it('HTTPS: 5xx fails; 429 with Retry-After says when; a slow answer within the limit is accepted; a body that never ends times out', async () => {
    let mode: 'error' | 'busy' | 'slow' | 'endless' = 'error';
    const posts: string[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        posts.push(body);
        if (mode === 'error') res.writeHead(503).end('upstream down');
        else if (mode === 'busy') res.writeHead(429, { 'retry-after': '7' }).end();
        else if (mode === 'slow') setTimeout(() => res.writeHead(200).end('{"code":0}'), 200);
        else {
          res.writeHead(200);
          const drip = setInterval(() => res.write('.'), 50);
          res.on('close', () => clearInterval(drip));
          closers.push(() => clearInterval(drip));
        }
      });
    });
    const port = await listen(server);
    const t = createTransport({ ...base, transport: 'https', host: null, port: null, url: `http://127.0.0.1:${port}/services/collector/event`, token: 'x' }, quick({ writeTimeoutMs: 1000 }));
    const failure = await t.deliver([ev(1)]).catch((e: unknown) => e);
    expect(String(failure)).toContain('the collector answered HTTP 503');
    expect(failure).not.toBeInstanceOf(RetryLaterError);
    mode = 'busy';
    const busy = await t.deliver([ev(1)]).catch((e: unknown) => e);
    expect(busy).toBeInstanceOf(RetryLaterError);
    expect((busy as RetryLaterError).retryAfterMs).toBe(7000);
    expect(String(busy)).toContain('HTTP 429 (retry after 7 s)');
    mode = 'slow';
    await expect(t.deliver([ev(1)])).resolves.toBeUndefined();
    mode = 'endless';
    const started = Date.now();
    await expect(t.deliver([ev(1)])).rejects.toThrow('outbound request timed out');
    expect(Date.now() - started).toBeLessThan(3000);
    expect(posts).toHaveLength(4);
  });

  it('Retry-After: seconds or a date; the sender waits that long, never less than its backoff and never past its maximum', () => {
    expect(retryAfterMs('120')).toBe(120_000);
    expect(retryAfterMs(new Date(Date.UTC(2026, 11, 3, 0, 1)).toUTCString(), Date.UTC(2026, 11, 3))).toBe(60_000);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(undefined)).toBeUndefined();
    const policy = { baseMs: 1000, maxMs: 300_000, maxAttempts: Infinity };
    expect(retryDelay(1, policy, new RetryLaterError('busy', 60_000))).toBe(60_000);
    expect(retryDelay(1, policy, new RetryLaterError('busy', 86_400_000))).toBe(300_000);
    expect(retryDelay(1, policy, new RetryLaterError('busy', 0))).toBeGreaterThanOrEqual(800);
    expect(retryDelay(1, policy, new Error('reset'))).toBeLessThanOrEqual(1200);
  });
});
