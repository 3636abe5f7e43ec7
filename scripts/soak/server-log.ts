/** What the server logged during the soak: its JSON lines (pino; its stderr is a pipe here) by level. */

export interface ServerLogSummary {
  warn: number;
  /** Warnings by message, ids and numbers blanked. */
  warnKinds: Map<string, number>;
  error: number;
  /** Every error line: each one is a finding. */
  bugs: string[];
}

export function summariseServerLog(lines: readonly string[]): ServerLogSummary {
  const warn = lines.filter((l) => levelOf(l) === 'warn');
  const error = lines.filter((l) => levelOf(l) === 'error');
  return { warn: warn.length, warnKinds: countMessages(warn), error: error.length, bugs: error };
}

/** The level of one of the server's log lines: JSON lines (pino), since its stderr is a pipe here. */
function levelOf(line: string): string | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return (JSON.parse(line) as { level?: string }).level;
  } catch {
    return undefined;
  }
}

/** How often each message occurs, with the ids in it blanked: "run <id> ... 12". */
function countMessages(lines: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of lines) {
    let msg = line;
    try {
      msg = (JSON.parse(line) as { msg?: string }).msg ?? line;
    } catch {
      // not JSON: the whole line
    }
    const key = msg.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '<id>').replace(/\b\d+\b/g, 'N').slice(0, 120);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}
