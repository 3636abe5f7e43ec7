/**
 * The file browser's reads of a session folder: listing kinds, text with
 * its language, images inline, everything else as a download.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_TEXT_VIEW_BYTES } from '../../server/protocol/limits.js';
import { PNG_1X1 } from '../support/images.js';
import { newSession } from '../support/runs.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let sessionId: string;
let folder: string;

beforeAll(async () => {
  server = await startTestServer({ config: { WARM_PREWARM: 'false' } });
  const session = await newSession(server);
  sessionId = session.id;
  folder = session.cwd;
  await mkdir(join(folder, 'src'));
  await writeFile(join(folder, 'src', 'main.ts'), 'export const answer = 42;\n');
  await writeFile(join(folder, 'Makefile'), 'all:\n\techo hi\n');
  await writeFile(join(folder, 'shot.png'), PNG_1X1);
  await writeFile(join(folder, 'data.bin'), Buffer.from([1, 2, 0, 3]));
  await writeFile(join(folder, 'page.html'), '<script>alert(1)</script>');
  await writeFile(join(folder, 'logo.svg'), '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
  await writeFile(join(folder, 'latin1.txt'), Buffer.from([0x63, 0x61, 0x66, 0xe9]));
});
afterAll(async () => {
  await server.close();
});

const text = (path: string) => server.api('GET', `/api/sessions/${sessionId}/files/text?path=${encodeURIComponent(path)}`);
const raw = (path: string, query = '') => fetch(`${server.url}/api/sessions/${sessionId}/files/raw?path=${encodeURIComponent(path)}${query}`);

describe('the file browser', () => {
  it('lists a folder with sizes and what each file is', async () => {
    const res = await server.api('GET', `/api/sessions/${sessionId}/storage`);
    const entries = Object.fromEntries((res.body.entries as Array<{ name: string }>).map((e) => [e.name, e]));
    expect(entries.src).toMatchObject({ type: 'dir' });
    expect(entries.src).not.toHaveProperty('kind');
    expect(entries['shot.png']).toMatchObject({ type: 'file', size: PNG_1X1.length, kind: 'image' });
    expect(entries.Makefile).toMatchObject({ kind: 'text' });
    expect(entries['data.bin']).toMatchObject({ kind: 'binary', size: 4 });
    expect(entries['logo.svg']).toMatchObject({ kind: 'text' });
  });

  it('reads a text file with its language for highlighting', async () => {
    const res = await text('src/main.ts');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ path: 'src/main.ts', size: 26, mediaType: 'text/plain', language: 'typescript', text: 'export const answer = 42;\n', truncated: false });
    expect((await text('Makefile')).body.language).toBe('makefile');
  });

  it('reads the first MiB of a long text file, cut at a line end', async () => {
    const line = 'é'.repeat(49) + '\n'; // 99 bytes: no line end falls on the limit
    await writeFile(join(folder, 'long.log'), line.repeat(Math.ceil((MAX_TEXT_VIEW_BYTES * 1.5) / 99)));
    const res = await text('long.log');
    expect(res.body.truncated).toBe(true);
    expect(res.body.text.endsWith('\n')).toBe(true);
    expect(Buffer.byteLength(res.body.text)).toBeLessThanOrEqual(MAX_TEXT_VIEW_BYTES);
    expect(res.body.text).not.toContain('\uFFFD');
  });

  it('answers 415 for a file that is not UTF-8 text, 400 for a folder, 404 for what is not there', async () => {
    for (const path of ['data.bin', 'shot.png', 'latin1.txt']) {
      const res = await text(path);
      expect(res.status, path).toBe(415);
      expect(res.body.error).toMatchObject({ code: 'unsupported_media_type' });
      expect(res.body.error.message).toMatch(/not a text file; download it/);
    }
    expect((await text('src')).status).toBe(400);
    expect((await text('nope.txt')).body.error.code).toBe('file_not_found');
    expect((await server.api('GET', `/api/sessions/${sessionId}/files/text`)).status).toBe(400);
    expect((await server.api('GET', '/api/sessions/nope/files/text?path=a')).body.error.code).toBe('session_not_found');
  });

  it('serves an image inline with its type, and anything else only as a sandboxed download', async () => {
    const png = await raw('shot.png');
    expect(png.status).toBe(200);
    expect(png.headers.get('content-type')).toBe('image/png');
    expect(png.headers.get('content-disposition')).toMatch(/^inline; filename="shot.png"/);
    expect(png.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
    expect(png.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await png.arrayBuffer()).equals(PNG_1X1)).toBe(true);

    const asked = await raw('shot.png', '&download=1');
    expect(asked.headers.get('content-disposition')).toMatch(/^attachment;/);
    expect(asked.headers.get('content-type')).toBe('application/octet-stream');
    await asked.arrayBuffer();

    for (const path of ['page.html', 'logo.svg', 'data.bin']) {
      const res = await raw(path);
      expect(res.headers.get('content-type'), path).toBe('application/octet-stream');
      expect(res.headers.get('content-disposition'), path).toMatch(/^attachment;/);
      await res.arrayBuffer();
    }
    expect((await raw('src')).status).toBe(400);
  });

  it('refuses a file over 10 MiB with 413', async () => {
    await writeFile(join(folder, 'huge.png'), Buffer.alloc(10 * 1024 * 1024 + 1));
    const res = await raw('huge.png');
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
  });
});
