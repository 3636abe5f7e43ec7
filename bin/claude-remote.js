#!/usr/bin/env node
// The command-line entry: runs the built server (npm run build first).
import { main } from '../dist/server/main.js';

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`${err?.stack ?? String(err)}\n`);
  process.exit(1);
});
