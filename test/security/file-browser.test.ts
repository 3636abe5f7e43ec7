/**
 * An attacker with the file browser's routes (and the changes and
 * attachments that touch the session folder): every way out of the folder
 * is refused on the real path, the same on every route, and nothing outside
 * is read or written.
 */
import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newSession } from '../support/runs.js';
import { rawRequest, startTestServer, tempDir, type TestServer } from '../support/server.js';

let server: TestServer;
let sessionId: string;
let folder: string;
let outside: string;

beforeAll(async () => {
  server = await startTestServer({ config: { WARM_PREWARM: 'false' } });
  const session = await newSession(server);
  sessionId = session.id;
  folder = session.cwd;
  outside = await tempDir('cr-outside-');
  await writeFile(join(outside, 'secret.txt'), 'TOP SECRET\n');
  await writeFile(join(outside, 'secret.png'), Buffer.from('89504e470d0a1a0a', 'hex'));
  await writeFile(join(folder, 'ok.txt'), 'fine\n');
  await symlink(join(outside, 'secret.txt'), join(folder, 'link.txt'));
  await symlink(join(outside, 'secret.png'), join(folder, 'link.png'));
  await symlink(outside, join(folder, 'out-dir'));
  await mkdir(join(folder, 'in'));
  await symlink(join(folder, 'ok.txt'), join(folder, 'in', 'inner-link.txt'));
});
afterAll(async () => {
  await server.close();
});

const routes = ['files/text', 'files/raw'] as const;

/** The raw query string is sent as it is: no client-side normalising of what an attacker types. */
async function get(route: (typeof routes)[number], rawQuery: string) {
  const res = await rawRequest(server.url, { path: `/api/sessions/${sessionId}/${route}?${rawQuery}` });
  return { status: res.status, body: res.text };
}

describe('the file browser keeps to the session folder', () => {
  it('refuses "..", absolute paths, drive letters and NUL bytes, plain or percent-encoded, with 400', async () => {
    const queries = [
      'path=../secret.txt',
      'path=in/../../secret.txt',
      `path=${encodeURIComponent(join(outside, 'secret.txt'))}`,
      'path=/etc/passwd',
      'path=%2e%2e%2fetc%2fpasswd',
      'path=%2E%2E/%2E%2E/etc/passwd',
      'path=..%5c..%5cetc%5cpasswd',
      'path=C:%5cWindows%5cwin.ini',
      'path=ok.txt%00.png',
    ];
    for (const route of routes) {
      for (const query of queries) {
        const res = await get(route, query);
        expect(res.status, `${route}?${query}`).toBe(400);
        expect(res.body, `${route}?${query}`).not.toContain('TOP SECRET');
        expect(res.body, `${route}?${query}`).toContain('path_not_allowed');
      }
    }
  });

  it('takes double-encoded dots as a name (404), never decoding twice', async () => {
    for (const route of routes) {
      const res = await get(route, 'path=%252e%252e%252fsecret.txt');
      expect(res.status, route).toBe(404);
    }
  });

  it('refuses links that lead out of the folder, to a file or through a folder', async () => {
    for (const route of routes) {
      for (const path of ['link.txt', 'link.png', 'out-dir/secret.txt', 'out-dir/secret.png']) {
        const res = await get(route, `path=${encodeURIComponent(path)}`);
        expect(res.status, `${route} ${path}`).toBe(400);
        expect(res.body).toContain('leads outside the session folder');
        expect(res.body).not.toContain('TOP SECRET');
      }
    }
  });

  it('follows a link that stays inside the folder', async () => {
    const res = await server.api('GET', `/api/sessions/${sessionId}/files/text?path=in/inner-link.txt`);
    expect(res.status).toBe(200);
    expect(res.body.text).toBe('fine\n');
  });

  it('refuses an array of paths and an overlong path as bad input', async () => {
    expect((await get('files/text', 'path=ok.txt&path=other.txt')).status).toBe(400);
    expect((await get('files/raw', `path=${'a'.repeat(5000)}`)).status).toBe(400);
  });

  it('saves no attachment through an attachments/ link that leads outside, and queues nothing', async () => {
    const other = await newSession(server);
    await symlink(outside, join(other.cwd, 'attachments'));
    const res = await server.api('POST', `/api/sessions/${other.id}/messages`, {
      prompt: 'read this',
      attachments: [{ name: 'notes.txt', mediaType: 'text/plain', data: Buffer.from('hi').toString('base64') }],
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('path_not_allowed');
    expect((await readdir(outside)).sort()).toEqual(['secret.png', 'secret.txt']);
    expect((await server.api('GET', `/api/sessions/${other.id}/runs`)).body.runs).toEqual([]);
  });

  it('names an attachment by its last part only: a name with folders or dots stays in attachments/', async () => {
    const other = await newSession(server);
    const res = await server.api('POST', `/api/sessions/${other.id}/messages`, {
      prompt: 'read this',
      attachments: [{ name: '../../../etc/.bashrc', mediaType: 'text/plain', data: Buffer.from('hi').toString('base64') }],
    });
    expect(res.status).toBe(202);
    const run = (await server.api('GET', `/api/sessions/${other.id}/runs/${res.body.runId}`)).body;
    expect(run.attachments).toEqual([{ name: '../../../etc/.bashrc', mediaType: 'text/plain', size: 2, kind: 'text', path: 'attachments/bashrc' }]);
    expect(await readdir(join(other.cwd, 'attachments'))).toEqual(['bashrc']);
  });
});
