import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startRedisServer } from './redis-server.js';

/** One inline command over a plain socket: the helper is checked without the client under test. */
function ask(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(`${command}\r\n`));
    socket.once('data', (chunk) => {
      socket.destroy();
      resolve(chunk.toString('utf8').trim());
    });
    socket.once('error', reject);
  });
}

describe('startRedisServer', () => {
  it('serves on a free loopback port, without persistence, and comes back on the same port after a stop', async () => {
    const server = await startRedisServer();
    try {
      expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
      expect(await ask(server.port, 'PING')).toBe('+PONG');
      expect(await ask(server.port, 'CONFIG GET appendonly')).toContain('no');
      await server.stop();
      await expect(ask(server.port, 'PING')).rejects.toThrow(/ECONNREFUSED/);
      await server.start();
      expect(await ask(server.port, 'PING')).toBe('+PONG');
    } finally {
      await server.close();
    }
  });

  it('keeps its data over a stop and a start when asked to persist, and loses it otherwise', async () => {
    for (const persist of [true, false]) {
      const server = await startRedisServer({ persist });
      try {
        expect(await ask(server.port, 'SET kept yes')).toBe('+OK');
        await server.stop('SIGKILL');
        await server.start();
        expect(await ask(server.port, 'GET kept')).toBe(persist ? '$3\r\nyes' : '$-1');
      } finally {
        await server.close();
      }
    }
  });

  it('asks for the password it was given', async () => {
    const server = await startRedisServer({ password: 'sesame' });
    try {
      expect(await ask(server.port, 'PING')).toMatch(/^-NOAUTH/);
      expect(await ask(server.port, 'AUTH sesame')).toBe('+OK');
    } finally {
      await server.close();
    }
  });
});
