import { describe, expect, it } from 'vitest';
import { assistantLine } from '../../test/support/transcripts.js';
import { localDay, parseUsageLine } from './entry.js';
import { PRICE_TABLE } from './prices.js';
import { costOfTokens, createPricer } from './pricing.js';

const pricer = createPricer(PRICE_TABLE);
const AT = '2026-03-10T09:15:00.000Z';

describe('a transcript line with usage', () => {
  it('gives tokens by kind, the model, the local day, the dedup key, and prices it from the table', () => {
    const entry = parseUsageLine(
      assistantLine({ at: AT, model: 'claude-sonnet-4-20250514', input: 1000, output: 200, cacheWrite: 300, cacheRead: 4000, messageId: 'msg_1', requestId: 'req_1' }),
      pricer,
    );
    expect(entry).toMatchObject({
      inputTokens: 1000,
      outputTokens: 200,
      cacheCreationTokens: 300,
      cacheReadTokens: 4000,
      model: 'claude-sonnet-4-20250514',
      time: Date.parse(AT),
      day: localDay(Date.parse(AT)),
      dedupKey: 'msg_1:req_1',
      costSource: 'priceTable',
    });
    // 1000 × $3/M + 200 × $15/M + 300 × $3.75/M + 4000 × $0.30/M
    expect(entry?.costUsd).toBeCloseTo(0.003 + 0.003 + 0.001125 + 0.0012, 12);
  });

  it('uses the cost the line records, even zero, over the table', () => {
    expect(parseUsageLine(assistantLine({ at: AT, input: 1000, costUSD: 0.5 }), pricer)).toMatchObject({ costUsd: 0.5, costSource: 'transcript' });
    expect(parseUsageLine(assistantLine({ at: AT, input: 1000, costUSD: 0 }), pricer)).toMatchObject({ costUsd: 0, costSource: 'transcript' });
  });

  it('costs nothing, and says so, for a model no table knows', () => {
    expect(parseUsageLine(assistantLine({ at: AT, model: 'gpt-imaginary', input: 1000 }), pricer)).toMatchObject({ costUsd: 0, costSource: 'none' });
  });

  it('names fast requests apart and applies the fast multiplier', () => {
    const entry = parseUsageLine(assistantLine({ at: AT, model: 'claude-opus-4-6', input: 1000, speed: 'fast' }), pricer);
    expect(entry?.model).toBe('claude-opus-4-6-fast');
    expect(entry?.costUsd).toBeCloseTo(1000 * 5e-6 * 6, 12);
  });

  it('has no dedup key when the message id or the request id is missing', () => {
    const line = JSON.parse(assistantLine({ at: AT, input: 1 })) as { requestId?: string };
    delete line.requestId;
    expect(parseUsageLine(JSON.stringify(line), pricer)?.dedupKey).toBeUndefined();
  });

  it.each([
    ['not JSON', '{"message": {"usage"'],
    ['a JSON array', '[1, 2]'],
    ['no usage', JSON.stringify({ type: 'user', timestamp: AT, message: { role: 'user', content: 'hi' } })],
    ['a timestamp without Z', mutate((l) => (l.timestamp = '2026-03-10T09:15:00+01:00'))],
    ['a timestamp with microseconds', mutate((l) => (l.timestamp = '2026-03-10T09:15:00.000001Z'))],
    ['no output_tokens', mutate((l) => delete l.message.usage.output_tokens)],
    ['a null cache count', mutate((l) => (l.message.usage.cache_read_input_tokens = null))],
    ['an unknown speed', mutate((l) => (l.message.usage.speed = 'priority'))],
    ['an empty model', mutate((l) => (l.message.model = ''))],
    ['a content block whose text is not text', mutate((l) => (l.message.content = [{ type: 'text', text: 5 }]))],
    ['a version that is not x.y.z', mutate((l) => (l.version = 'dev'))],
    ['a costUSD that is not a number', mutate((l) => (l.costUSD = '0.1'))],
  ])('skips a line with %s, as ccusage does', (_what, line) => {
    expect(parseUsageLine(line, pricer)).toBeUndefined();
  });
});

describe('the price table', () => {
  it('finds a model by its name, with a provider prefix, or by a name that contains a known one', () => {
    expect(pricer.priceOf('claude-opus-4-1-20250805')?.input).toBe(15e-6);
    expect(pricer.priceOf('sonnet-4-20250514')).toBe(PRICE_TABLE.models['claude-sonnet-4-20250514']);
    expect(pricer.priceOf('claude-opus-5-5-20270101')).toBe(PRICE_TABLE.models['claude-opus-5-5']);
    expect(pricer.priceOf('')).toBeUndefined();
    expect(pricer.priceOf('<synthetic>')).toBeUndefined();
  });

  it("knows the CLI's current default model (claude-opus-5-5, from the CLI's own catalog)", () => {
    expect(pricer.priceOf('claude-opus-5-5')).toEqual({ input: 4e-6, output: 20e-6, cacheWrite: 5e-6, cacheRead: 0.2e-6 });
    expect(PRICE_TABLE.takenAt).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('prices the tokens of a kind beyond 200k at the higher rate, per kind, as ccusage does', () => {
    const price = { input: 3e-6, output: 15e-6, above200k: { input: 6e-6 } };
    const tokens = { inputTokens: 250_000, outputTokens: 250_000, cacheCreationTokens: 0, cacheReadTokens: 0 };
    expect(costOfTokens(tokens, price, false)).toBeCloseTo(200_000 * 3e-6 + 50_000 * 6e-6 + 250_000 * 15e-6, 12);
  });
});

interface LineShape {
  timestamp: unknown;
  version?: unknown;
  costUSD?: unknown;
  message: { model?: unknown; content?: unknown; usage: Record<string, unknown> };
}

function mutate(change: (line: LineShape) => void): string {
  const line = JSON.parse(assistantLine({ at: AT, input: 10, output: 5 })) as LineShape;
  change(line);
  return JSON.stringify(line);
}
