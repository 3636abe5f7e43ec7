#!/usr/bin/env node
// The command-line entry (npm run build first): runs the built server and
// starts it again when it asks to be restarted (server/supervisor.ts).
import { fileURLToPath } from 'node:url';
import { supervise } from '../dist/server/supervisor.js';

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  const { main } = await import('../dist/server/main.js');
  await main(args);
} else {
  const entry = fileURLToPath(new URL('../dist/server/main.js', import.meta.url));
  process.exit(await supervise({ entry, args }));
}
