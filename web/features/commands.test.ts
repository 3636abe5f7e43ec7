import { describe, expect, it } from 'vitest';
import { completionsFor, helpText, parseCommand } from './commands.js';

describe('slash commands', () => {
  it('recognises our commands with their argument, and nothing else', () => {
    expect(parseCommand('/clear')).toEqual({ name: '/clear', arg: '' });
    expect(parseCommand('  /model   sonnet ')).toEqual({ name: '/model', arg: 'sonnet' });
    expect(parseCommand('/model')).toEqual({ name: '/model', arg: '' });
    expect(parseCommand('/compact')).toBeUndefined();
    expect(parseCommand('please /clear this')).toBeUndefined();
    expect(parseCommand('/clearly not')).toBeUndefined();
  });

  it('completes a partial command name, and stops once a space is typed', () => {
    expect(completionsFor('/').map((c) => c.name)).toEqual(['/clear', '/cost', '/model', '/help']);
    expect(completionsFor('/c').map((c) => c.name)).toEqual(['/clear', '/cost']);
    expect(completionsFor('/clear')).toEqual([]);
    expect(completionsFor('/model ')).toEqual([]);
    expect(completionsFor('hello')).toEqual([]);
  });

  it('lists every command in the help', () => {
    expect(helpText()).toContain('/model NAME');
    expect(helpText().split('\n')).toHaveLength(4);
  });
});
