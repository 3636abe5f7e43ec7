/**
 * Where the clients find the server. It moves when the soak kills it and
 * starts another on the same data folder (port 0 both times), as a phone
 * finds a restarted server again: every connection attempt reads it afresh.
 */
export interface Target {
  url: string;
  /** Set once the soak is winding down: clients stop reconnecting. */
  stopping: boolean;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Loopback source address of client n: each simulated device has an address of its own. */
export const clientAddress = (n: number) => `127.0.${Math.floor(n / 250) + 1}.${(n % 250) + 2}`;
