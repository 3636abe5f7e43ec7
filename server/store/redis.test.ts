import { afterAll, beforeAll } from 'vitest';
import { startRedisServer, type RedisServer } from '../../test/support/redis-server.js';
import { createRedisStore } from './redis.js';
import { describeStoreContract } from './store.contract.js';

let server: RedisServer;
let prefixes = 0;
let lastPrefix = '';

beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server.close();
});

// Each store gets a key prefix of its own: a fresh, empty store on the same Redis.
describeStoreContract('RedisStore', {
  async open() {
    lastPrefix = `contract${++prefixes}:`;
    return createRedisStore({ url: server.url, keyPrefix: lastPrefix });
  },
  async reopen() {
    return createRedisStore({ url: server.url, keyPrefix: lastPrefix });
  },
});
