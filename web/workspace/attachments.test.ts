import { describe, expect, it } from 'vitest';
import { isUtf8Text, kindOfType, MAX_ATTACHMENTS, readAttachment, refusal, toBase64 } from './attachments.js';

const MB = 1024 * 1024;

describe('attachments in the composer', () => {
  it('takes the four image types the API takes, and text by type', () => {
    expect(kindOfType('image/png')).toBe('image');
    expect(kindOfType('IMAGE/JPEG')).toBe('image');
    expect(kindOfType('image/heic')).toBe('unknown');
    expect(kindOfType('text/markdown; charset=utf-8')).toBe('text');
    expect(kindOfType('application/json')).toBe('text');
    expect(kindOfType('')).toBe('unknown');
  });

  it('refuses an eleventh file and one over the size limit, naming it', () => {
    expect(refusal('a.png', MB, 0, 5 * MB)).toBeUndefined();
    expect(refusal('big.png', 6 * MB, 0, 5 * MB)).toBe('big.png is 6.0 MB; a file may be at most 5.0 MB.');
    expect(refusal('k.png', 10, MAX_ATTACHMENTS, 5 * MB)).toMatch(/^At most 10 files .* k\.png was left out\.$/);
  });

  it('knows UTF-8 text from binary bytes', () => {
    expect(isUtf8Text(new TextEncoder().encode('héllo\n'))).toBe(true);
    expect(isUtf8Text(new Uint8Array([0x68, 0, 0x69]))).toBe(false);
    expect(isUtf8Text(new Uint8Array([0xff, 0xfe]))).toBe(false);
  });

  it('encodes base64 like the server decodes it', () => {
    const bytes = new Uint8Array(100_000).map((_, i) => i % 256);
    expect(toBase64(bytes)).toBe(Buffer.from(bytes).toString('base64'));
  });

  it('reads a text file of no type as text/plain, and refuses a binary one with its name', async () => {
    const text = await readAttachment(new File(['# notes\n'], 'notes.md', { type: '' }), 'x');
    expect(text).toMatchObject({ name: 'notes.md', mediaType: 'text/plain', kind: 'text', size: 8, data: Buffer.from('# notes\n').toString('base64') });
    const ts = await readAttachment(new File(['let a = 1;\n'], 'a.ts', { type: 'video/mp2t' }), 'y');
    expect(ts.kind).toBe('text');
    await expect(readAttachment(new File([new Uint8Array([0, 1, 2])], 'photo.heic', { type: 'image/heic' }), 'z')).rejects.toThrow(
      'photo.heic is a HEIC image: attach PNG, JPEG, GIF or WebP images, or text files.',
    );
  });
});
