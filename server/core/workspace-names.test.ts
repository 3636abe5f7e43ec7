import { describe, expect, it } from 'vitest';
import { safeName } from './attachments.js';
import { fileKind } from './files.js';
import { branchName } from './worktrees.js';

const ID = '0123abcd-0000-4000-8000-000000000000';

describe('branch names', () => {
  it('are the session name as a slug, then the first 8 characters of its id', () => {
    expect(branchName(ID, 'Fix the login page!')).toBe('claude-remote/fix-the-login-page-0123abcd');
    expect(branchName(ID, 'Café über naïve')).toBe('claude-remote/cafe-uber-naive-0123abcd');
    expect(branchName(ID, '../..//refs/heads/main.lock')).toBe('claude-remote/refs-heads-main-lock-0123abcd');
  });

  it('are only the id when the name has nothing git takes, and never end in a dash when cut', () => {
    expect(branchName(ID, '🚀🚀')).toBe('claude-remote/0123abcd');
    const long = branchName(ID, `${'a'.repeat(39)} b`);
    expect(long).toBe(`claude-remote/${'a'.repeat(39)}-0123abcd`);
  });
});

describe('attachment names', () => {
  it('keep only the last plain part of a name', () => {
    expect(safeName('../../etc/passwd')).toBe('passwd');
    expect(safeName('..\\..\\win.ini')).toBe('win.ini');
    expect(safeName('.bashrc')).toBe('bashrc');
    expect(safeName('...')).toBe('attachment');
    expect(safeName('a b (1).png')).toBe('a b (1).png');
    expect(safeName('we\u0000ird\n<name>.txt')).toBe('we_ird__name_.txt');
  });

  it('cut a long name to 100 characters, keeping its extension', () => {
    const name = safeName(`${'x'.repeat(300)}.png`);
    expect(name).toHaveLength(100);
    expect(name.endsWith('.png')).toBe(true);
  });
});

describe('file kinds', () => {
  it('say images for raster images only, text for source and known names, binary for the rest', () => {
    expect(fileKind('a.PNG')).toEqual({ kind: 'image', mediaType: 'image/png' });
    expect(fileKind('logo.svg')).toMatchObject({ kind: 'text', language: 'xml' });
    expect(fileKind('Dockerfile')).toMatchObject({ kind: 'text', language: 'dockerfile' });
    expect(fileKind('.env')).toMatchObject({ kind: 'text' });
    expect(fileKind('data.json')).toEqual({ kind: 'text', mediaType: 'application/json', language: 'json' });
    expect(fileKind('app.exe').kind).toBe('binary');
  });
});
