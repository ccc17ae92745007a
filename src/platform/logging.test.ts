import { describe, expect, it } from 'vitest';
import { outageLog } from './logging.js';

function recorder() {
  const lines: Array<{ level: string; obj: Record<string, unknown>; msg: string }> = [];
  return {
    lines,
    logger: {
      error: (obj: Record<string, unknown>, msg: string) => lines.push({ level: 'error', obj, msg }),
      info: (obj: Record<string, unknown>, msg: string) => lines.push({ level: 'info', obj, msg }),
    } as never,
  };
}

describe('outageLog', () => {
  it('logs an outage once, a different failure again, and the recovery with the count', () => {
    const { lines, logger } = recorder();
    const log = outageLog(logger, 'outbound queue pass');
    const down = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    for (let i = 0; i < 60; i++) log.failed(down);
    expect(lines).toHaveLength(1);
    log.failed(new Error('terminating connection due to administrator command'));
    expect(lines).toHaveLength(2);
    expect(lines[1]!.msg).toMatch(/differently/);
    log.succeeded();
    log.succeeded();
    expect(lines.map((l) => l.level)).toEqual(['error', 'error', 'info']);
    expect(lines[2]).toMatchObject({ obj: { failures: 61 }, msg: 'outbound queue pass works again after 61 failed passes' });
    // A new outage is logged again.
    log.failed(down);
    expect(lines).toHaveLength(4);
  });

  it('logs only what the caller allows of the error', () => {
    const { lines, logger } = recorder();
    outageLog(logger, 'webhook worker pass', (err) => (err as Error).name).failed(new TypeError('fetch https://customer.example/hook?token=abc failed'));
    expect(JSON.stringify(lines)).not.toContain('customer.example');
    expect(lines[0]!.obj.err).toBe('TypeError');
  });
});
