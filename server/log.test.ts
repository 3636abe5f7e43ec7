import { describe, expect, it } from 'vitest';
import { createLogger } from './log.js';

const capture = (format: 'json' | 'pretty', level: 'debug' | 'info' = 'debug') => {
  const lines: string[] = [];
  return { lines, log: createLogger(level, { format, write: (l) => lines.push(l) }) };
};

describe('the logger', () => {
  it('writes one JSON object per line, with the context as fields and an error with its stack', () => {
    const { lines, log } = capture('json');
    log.info('run started', { sessionId: 's1', runId: 'r1', pid: 42 });
    log.error('the run failed unexpectedly', { sessionId: 's1', runId: 'r1', err: new Error('disk full') });
    log.warn('plain error', new TypeError('bad'));
    log.debug('a value', 7);
    const [started, failed, plain, value] = lines.map((l) => JSON.parse(l));
    expect(started).toMatchObject({ level: 'info', msg: 'run started', sessionId: 's1', runId: 'r1', pid: 42 });
    expect(new Date(started.time).toISOString()).toBe(started.time);
    expect(failed).toMatchObject({ level: 'error', sessionId: 's1', runId: 'r1', err: { type: 'Error', message: 'disk full' } });
    expect(failed.err.stack).toMatch(/^Error: disk full\n\s+at /);
    expect(plain.err).toMatchObject({ type: 'TypeError', message: 'bad' });
    expect(value).toMatchObject({ level: 'debug', extra: 7 });
    expect(lines).toHaveLength(4);
  });

  it('leaves out lines under its level', () => {
    const { lines, log } = capture('json', 'info');
    log.debug('hidden');
    log.info('shown');
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(['shown']);
  });

  it('replaces fields that carry secrets, at the top and one level down', () => {
    const { lines, log } = capture('json');
    log.info('request', { headers: { authorization: 'Bearer s3cret-1', cookie: 'cr_session=s3cret-2' }, password: 's3cret-3', tunnel: { authtoken: 's3cret-4' } });
    expect(lines.join('\n')).not.toMatch(/s3cret/);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ headers: { authorization: '[Redacted]' }, tunnel: { authtoken: '[Redacted]' } });
  });

  it('writes readable lines when asked: time, level, message, then the context', () => {
    const { lines, log } = capture('pretty');
    log.warn('run failed (cli_crashed)', { sessionId: 's1', runId: 'r1', token: 's3cret' });
    expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: run failed \(cli_crashed\) \{"sessionId":"s1","runId":"r1","token":"\[Redacted\]"\}$/);
  });
});
