/**
 * Prints the usage answer for the config folders given as arguments, as one
 * JSON line. Tests run it as another user, to meet files it cannot read
 * (root reads everything).
 */
import { createUsageService } from '../../server/usage/index.js';

const service = createUsageService({ roots: process.argv.slice(2), scanIntervalMs: 60_000, watch: false });
process.stdout.write(`${JSON.stringify(await service.summary())}\n`);
await service.close();
