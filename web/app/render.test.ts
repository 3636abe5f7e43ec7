import { describe, expect, it } from 'vitest';
import type { SessionView } from '../../server/protocol/events.js';
import { pageTitle } from './render.js';

describe('the page title', () => {
  it('counts the answers waiting in any session first, then marks a running session', () => {
    const session = { name: 'Refactor' } as SessionView;
    expect(pageTitle(undefined, false, 0)).toBe('Claude Remote');
    expect(pageTitle(session, false, 0)).toBe('Refactor · Claude Remote');
    expect(pageTitle(session, true, 0)).toBe('● Refactor · Claude Remote');
    expect(pageTitle(session, true, 2)).toBe('(2) Refactor · Claude Remote');
    expect(pageTitle(undefined, false, 1)).toBe('(1) Claude Remote');
  });
});
