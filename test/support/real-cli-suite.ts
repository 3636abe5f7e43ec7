/**
 * A test file that drives the real `claude` CLI against the fake Messages
 * API: both start before its tests and stop after them, and the servers its
 * tests start (with the real CLI and its throwaway HOME) close after each
 * test.
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import { startFakeAnthropic, type FakeAnthropic } from './fake-anthropic.js';
import { makeClaudeEnv, realClaudePath, type ClaudeEnv } from './real-claude.js';
import { startTestServer, type TestServer, type TestServerOptions } from './server.js';

export interface RealCliSuite {
  readonly fake: FakeAnthropic;
  readonly claude: ClaudeEnv;
  /** A server on the real CLI: `config` over the suite's defaults; `extra.cliEnv` over the CLI's environment. */
  server(config?: Record<string, string>, extra?: TestServerOptions): Promise<TestServer>;
}

export function useRealCli(defaults: Record<string, string> = {}): RealCliSuite {
  let fake: FakeAnthropic | undefined;
  let claude: ClaudeEnv | undefined;
  const servers: TestServer[] = [];
  beforeAll(async () => {
    fake = await startFakeAnthropic();
    claude = await makeClaudeEnv(fake);
  });
  afterAll(async () => {
    await fake?.close();
    await claude?.cleanup();
  });
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the real CLI suite is used before its beforeAll ran');
    return value;
  };
  return {
    get fake() {
      return started(fake);
    },
    get claude() {
      return started(claude);
    },
    async server(config = {}, extra = {}) {
      const env = started(claude).env;
      const s = await startTestServer({ claudePath: realClaudePath(), ...extra, cliEnv: { ...env, ...extra.cliEnv }, config: { ...defaults, ...config } });
      servers.push(s);
      return s;
    },
  };
}
