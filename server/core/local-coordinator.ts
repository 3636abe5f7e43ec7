/** One instance: it owns every session; nothing is ever sent elsewhere. */
import type { Coordinator } from './ports.js';

export function createLocalCoordinator(instanceId: string): Coordinator {
  return {
    instanceId,
    shared: false,
    claim: async () => true,
    release: async () => {},
    ownerOf: async () => instanceId,
    onLost: () => {},
    send: async () => {
      throw new Error('a single instance has no other instance to send to');
    },
    onCommand: () => {},
    close: async () => {},
  };
}
