import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer as createTcpServer, type Socket } from 'node:net';
import ngrok, { type Config } from '@ngrok/ngrok';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../log.js';
import {
  backoffDelay,
  buildForwardOptions,
  printTunnelBanner,
  startNgrokTunnel,
  unixSocketAddr,
  type ForwardFn,
  type Tunnel,
  type TunnelState,
} from './ngrok.js';

const ADDR = 'unix:/tmp/claude-remote-test/tunnel.sock';
const NETWORK_ERROR = 'failed to connect session: failed to establish tcp connection';

function capturingLog() {
  const lines: string[] = [];
  return { lines, log: createLogger('debug', { write: (l) => lines.push(l) }) };
}

function recordStates(tunnel: Tunnel): TunnelState[] {
  const seen: TunnelState[] = [];
  tunnel.onChange((s) => seen.push(s));
  return seen;
}

async function waitFor(check: () => boolean, what: string, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const fakeListener = (url = 'https://x.ngrok.app') => {
  const calls = { close: 0 };
  return { calls, listener: { url: () => url, close: async () => void calls.close++ } };
};

// Everything a test opens is closed here, even when it fails halfway.
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

function track(tunnel: Tunnel): Tunnel {
  cleanups.push(() => tunnel.close());
  return tunnel;
}

describe('the options given to ngrok.forward()', () => {
  it('without a domain or OAuth: an HTTPS endpoint forwarding raw TCP to the local server', () => {
    expect(buildForwardOptions(ADDR, { authtoken: ' tok_123 ' })).toEqual({
      addr: ADDR,
      proto: 'http',
      schemes: ['HTTPS'],
      authtoken: 'tok_123',
      metadata: 'claude-remote',
    });
  });

  it('asks for the fixed domain', () => {
    expect(buildForwardOptions(ADDR, { authtoken: 'tok', domain: 'me.ngrok.app' })).toEqual({
      addr: ADDR,
      proto: 'http',
      schemes: ['HTTPS'],
      authtoken: 'tok',
      metadata: 'claude-remote',
      domain: 'me.ngrok.app',
    });
  });

  it('puts OAuth with its allow-lists at the edge', () => {
    const options = buildForwardOptions(ADDR, {
      authtoken: 'tok',
      domain: 'me.ngrok.app',
      oauthProvider: 'Google',
      oauthAllowEmails: ['me@example.com', 'partner@example.org'],
      oauthAllowDomains: ['example.com'],
    });
    expect(options).toEqual({
      addr: ADDR,
      proto: 'http',
      schemes: ['HTTPS'],
      authtoken: 'tok',
      metadata: 'claude-remote',
      domain: 'me.ngrok.app',
      oauth_provider: 'google',
      oauth_allow_emails: ['me@example.com', 'partner@example.org'],
      oauth_allow_domains: ['example.com'],
    } satisfies Config);
  });

  it('refuses allow-lists without a provider, which would check nobody', () => {
    expect(() => buildForwardOptions(ADDR, { authtoken: 'tok', oauthAllowEmails: ['me@example.com'] })).toThrow(
      /NGROK_OAUTH_PROVIDER/,
    );
    expect(() => buildForwardOptions(ADDR, { authtoken: 'tok', oauthProvider: ' ', oauthAllowDomains: ['example.com'] })).toThrow(
      /NGROK_OAUTH_PROVIDER/,
    );
  });

  it('takes the domain as a pasted URL too', () => {
    for (const domain of ['https://Me.ngrok.app', 'https://me.ngrok.app/', ' me.ngrok.app/login?x=1 ', 'http://me.ngrok.app']) {
      expect(buildForwardOptions(ADDR, { authtoken: 'tok', domain }).domain).toBe('me.ngrok.app');
    }
    expect(buildForwardOptions(ADDR, { authtoken: 'tok', domain: '  ' }).domain).toBeUndefined();
    expect(() => buildForwardOptions(ADDR, { authtoken: 'tok', domain: 'not a domain' })).toThrow(/NGROK_DOMAIN/);
  });

  it('trims the allow-lists and drops empty entries', () => {
    const options = buildForwardOptions(ADDR, {
      authtoken: 'tok',
      oauthProvider: 'github',
      oauthAllowEmails: [' me@example.com ', '', '  ', 'you@example.com'],
      oauthAllowDomains: ['', ' @example.com', 'example.org '],
    });
    expect(options.oauth_allow_emails).toEqual(['me@example.com', 'you@example.com']);
    expect(options.oauth_allow_domains).toEqual(['example.com', 'example.org']);
    const none = buildForwardOptions(ADDR, { authtoken: 'tok', oauthProvider: 'github', oauthAllowEmails: [' ', ''] });
    expect(none).not.toHaveProperty('oauth_allow_emails');
  });

  it('forwards to the Unix socket it is given, as the SDK spells it', () => {
    expect(buildForwardOptions(unixSocketAddr('/data/tunnel.sock'), { authtoken: 'tok' }).addr).toBe('unix:/data/tunnel.sock');
  });

  it('needs an authtoken', () => {
    expect(() => buildForwardOptions(ADDR, { authtoken: '  ' })).toThrow(/NGROK_AUTHTOKEN/);
  });
});

describe('the tunnel with the real SDK, offline', () => {
  async function startLocalServer(): Promise<{ server: Server; port: number }> {
    const server = createServer((_req, res) => res.end('still here'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(
      () =>
        new Promise<void>((r) => {
          server.closeAllConnections();
          server.close(() => r());
        }),
    );
    return { server, port: (server.address() as AddressInfo).port };
  }

  it('reports a clear error for a bad token while the local server keeps answering, and closes', async () => {
    const { port } = await startLocalServer();
    const { lines, log } = capturingLog();
    const tunnel = track(
      startNgrokTunnel({
        addr: `tcp://127.0.0.1:${port}`,
        settings: { authtoken: 'not-a-real-token' },
        log,
        connectTimeoutMs: 3000,
        backoff: { initialMs: 200, maxMs: 1000 },
      }),
    );
    // startNgrokTunnel returned without waiting for ngrok.
    expect(tunnel.state).toEqual({ status: 'connecting', attempt: 1 });

    const answers: string[] = [];
    const poll = async () => answers.push(await (await fetch(`http://127.0.0.1:${port}/`)).text());
    await poll();
    while (tunnel.state.status !== 'error') {
      await poll();
      await new Promise((r) => setTimeout(r, 50));
      if (answers.length > 400) throw new Error(`no error state after ~20 s: ${JSON.stringify(tunnel.state)}`);
    }
    const state = tunnel.state;
    // Offline we cannot reach ngrok; online ngrok itself would refuse the token, for good.
    expect(state.error).toMatch(/could not reach ngrok|ngrok rejected the authtoken \(ERR_NGROK_10[57]/);
    if (/rejected the authtoken/.test(state.error)) expect(state.retryInS).toBeUndefined();
    else expect(state.retryInS).toBeGreaterThan(0);
    expect(JSON.stringify(state)).not.toContain('not-a-real-token');
    expect(lines.join('\n')).not.toContain('not-a-real-token');

    await tunnel.close();
    expect(tunnel.state).toEqual({ status: 'off' });
    await poll();
    expect(answers.every((a) => a === 'still here')).toBe(true);
  });

  it('gives up on a forward() that hangs, does not pile up calls behind it, and closes at once', async () => {
    // A server that accepts and never speaks: the SDK's TLS handshake waits
    // forever (measured: still pending after 200 s), as behind a black hole.
    const sockets = new Set<Socket>();
    const silent = createTcpServer((s) => void sockets.add(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const serverAddr = `127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const calls: Promise<unknown>[] = [];
    const forward: ForwardFn = (config) => {
      const p = ngrok.forward({ ...config, server_addr: serverAddr });
      calls.push(p.catch(() => undefined));
      return p;
    };
    // Dropping the silent connections makes the stuck call fail, which frees
    // the SDK's session lock for the tests that follow.
    cleanups.push(async () => {
      for (const s of sockets) s.destroy();
      silent.close();
      await Promise.all(calls);
    });
    const { port } = await startLocalServer();
    const tunnel = track(
      startNgrokTunnel({
        addr: `tcp://127.0.0.1:${port}`,
        settings: { authtoken: 'not-a-real-token' },
        log: capturingLog().log,
        connectTimeoutMs: 300,
        backoff: { initialMs: 20, maxMs: 40 },
        forward,
      }),
    );
    const states = recordStates(tunnel);
    await waitFor(() => states.filter((s) => s.status === 'error').length >= 3, 'three timed-out attempts');
    expect(states.find((s) => s.status === 'error')).toEqual({
      status: 'error',
      error: 'could not reach ngrok within 0.3 s (no network?)',
      retryInS: 1,
    });
    // Each retry waited on the same stuck call instead of queueing more behind the SDK's lock.
    expect(calls).toHaveLength(1);
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('still here');

    const started = Date.now();
    await tunnel.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(tunnel.state).toEqual({ status: 'off' });
  });
});

describe('retries', () => {
  it('backs off after network failures and comes online with the listener URL', async () => {
    const { calls: listenerCalls, listener } = fakeListener('https://x.ngrok.app');
    const configs: Config[] = [];
    const forward: ForwardFn = async (config) => {
      configs.push(config);
      if (configs.length <= 2) throw Object.assign(new Error(NETWORK_ERROR), { code: 'GenericFailure' });
      return listener;
    };
    const { lines, log } = capturingLog();
    const tunnel = track(
      startNgrokTunnel({ addr: ADDR, settings: { authtoken: 'tok' }, log, forward, backoff: { initialMs: 5, maxMs: 20 } }),
    );
    const states = recordStates(tunnel);
    await waitFor(() => tunnel.state.status === 'online', 'online');

    const unreachable = {
      status: 'error',
      error: 'could not reach ngrok: failed to establish tcp connection (no network, or a firewall or proxy in the way?)',
      retryInS: 1,
    } as const;
    expect(states).toEqual([
      unreachable,
      { status: 'connecting', attempt: 2 },
      unreachable,
      { status: 'connecting', attempt: 3 },
      { status: 'online', url: 'https://x.ngrok.app' },
    ]);
    expect(configs).toHaveLength(3);
    expect(configs[0]).toMatchObject(buildForwardOptions(ADDR, { authtoken: 'tok' }));
    expect(lines.some((l) => l.includes('ngrok tunnel online: https://x.ngrok.app'))).toBe(true);

    await tunnel.close();
    expect(listenerCalls.close).toBe(1);
    expect(tunnel.state).toEqual({ status: 'off' });
  });

  it('stops at an authentication error: one call, a final error, the token never shown', async () => {
    let calls = 0;
    const forward: ForwardFn = async () => {
      calls++;
      throw Object.assign(
        new Error(
          'failed to connect session: The authtoken you specified does not look like a proper ngrok authtoken.\n' +
            'Your authtoken: bad-token-123\nInstructions to install your authtoken are on your ngrok dashboard:\n' +
            'https://dashboard.ngrok.com/get-started/your-authtoken error_code: ERR_NGROK_105',
        ),
        { code: 'GenericFailure', errorCode: 'ERR_NGROK_105' },
      );
    };
    const { lines, log } = capturingLog();
    const tunnel = track(
      startNgrokTunnel({ addr: ADDR, settings: { authtoken: 'bad-token-123' }, log, forward, backoff: { initialMs: 5, maxMs: 10 } }),
    );
    await waitFor(() => tunnel.state.status === 'error', 'error');
    await new Promise((r) => setTimeout(r, 100));
    expect(calls).toBe(1);
    expect(tunnel.state).toEqual({
      status: 'error',
      error:
        'ngrok rejected the authtoken (ERR_NGROK_105: The authtoken you specified does not look like a proper ngrok authtoken.): ' +
        'check NGROK_AUTHTOKEN',
    });
    expect(lines.join('\n')).not.toContain('bad-token-123');
  });

  it('retries an ngrok refusal that can pass, such as the fixed domain still held by the previous run', async () => {
    let calls = 0;
    const { listener } = fakeListener('https://me.ngrok.app');
    const forward: ForwardFn = async () => {
      if (++calls === 1) {
        throw Object.assign(new Error('failed to start listener: The endpoint https://me.ngrok.app is already online. error_code: ERR_NGROK_334'), {
          errorCode: 'ERR_NGROK_334',
        });
      }
      return listener;
    };
    const tunnel = track(
      startNgrokTunnel({ addr: ADDR, settings: { authtoken: 'tok' }, log: capturingLog().log, forward, backoff: { initialMs: 5, maxMs: 10 } }),
    );
    const states = recordStates(tunnel);
    await waitFor(() => tunnel.state.status === 'online', 'online');
    expect(states[0]).toMatchObject({ status: 'error', error: expect.stringContaining('ngrok refused the tunnel (ERR_NGROK_334'), retryInS: 1 });
  });

  it('reports settings that cannot work without calling ngrok', async () => {
    let calls = 0;
    const forward: ForwardFn = async () => {
      calls++;
      return fakeListener().listener;
    };
    const tunnel = track(
      startNgrokTunnel({ addr: ADDR, settings: { authtoken: 'tok', oauthAllowEmails: ['me@example.com'] }, log: capturingLog().log, forward }),
    );
    await waitFor(() => tunnel.state.status === 'error', 'error');
    expect(tunnel.state).toMatchObject({ status: 'error', error: expect.stringContaining('NGROK_OAUTH_PROVIDER') });
    expect(tunnel.state).not.toHaveProperty('retryInS');
    expect(calls).toBe(0);
  });

  it('stops retrying once closed', async () => {
    let calls = 0;
    const forward: ForwardFn = async () => {
      calls++;
      throw new Error(NETWORK_ERROR);
    };
    const tunnel = track(
      startNgrokTunnel({ addr: ADDR, settings: { authtoken: 'tok' }, log: capturingLog().log, forward, backoff: { initialMs: 50, maxMs: 50 } }),
    );
    await waitFor(() => tunnel.state.status === 'error', 'error');
    await tunnel.close();
    const after = calls;
    await new Promise((r) => setTimeout(r, 150));
    expect(calls).toBe(after);
    expect(tunnel.state).toEqual({ status: 'off' });
  });

  it('follows the SDK reconnecting a dropped session once online', async () => {
    let onStatusChange: ((status: string) => void) | undefined;
    const forward: ForwardFn = async (config) => {
      onStatusChange = config.onStatusChange;
      return fakeListener('https://me.ngrok.app').listener;
    };
    const tunnel = track(startNgrokTunnel({ addr: ADDR, settings: { authtoken: 'tok' }, log: capturingLog().log, forward }));
    await waitFor(() => tunnel.state.status === 'online', 'online');
    onStatusChange?.('closed');
    expect(tunnel.state).toEqual({ status: 'connecting', attempt: 1 });
    onStatusChange?.('closed');
    expect(tunnel.state).toEqual({ status: 'connecting', attempt: 2 });
    onStatusChange?.('connected');
    expect(tunnel.state).toEqual({ status: 'online', url: 'https://me.ngrok.app' });
    onStatusChange?.('closed');
    expect(tunnel.state).toEqual({ status: 'connecting', attempt: 1 });
  });

  it('doubles the delay up to the cap, with jitter', () => {
    const b = { initialMs: 1000, maxMs: 8000 };
    for (let i = 0; i < 50; i++) {
      expect(backoffDelay(1, b)).toBeGreaterThanOrEqual(500);
      expect(backoffDelay(1, b)).toBeLessThanOrEqual(1000);
      expect(backoffDelay(3, b)).toBeGreaterThanOrEqual(2000);
      expect(backoffDelay(3, b)).toBeLessThanOrEqual(4000);
      expect(backoffDelay(40, b)).toBeLessThanOrEqual(8000);
      expect(backoffDelay(40, b)).toBeGreaterThanOrEqual(4000);
    }
  });
});

describe('the start-up banner', () => {
  it('prints the URL and a QR code of it', async () => {
    let out = '';
    await printTunnelBanner('https://me.ngrok.app', (s) => (out += s));
    expect(out).toContain('https://me.ngrok.app');
    // The small terminal QR code draws with half blocks.
    expect(out.split('\n').filter((l) => /[▀▄█]/.test(l)).length).toBeGreaterThan(10);
  });
});
