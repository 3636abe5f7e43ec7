/**
 * The owner's policy on what a client may ask the CLI for. Any authenticated
 * client may create sessions; some options hand it more than prompts do:
 *
 * - a permission mode such as `bypassPermissions` runs every tool unasked
 *   (PERMISSION_MODES lists the modes clients may choose);
 * - an MCP config names a command the CLI starts (MCP_CONFIG: `off`, `files`
 *   for config files inside the allowed roots only, or `any`);
 * - agent definitions (`agents`) may carry their own MCP servers, hooks
 *   (shell commands) and permission mode: held to the same two rules, hooks
 *   counting as commands.
 *
 * Checked when options are set and again before every run (the policy, or
 * the files it points at, may have changed since). A refusal is a 403 that
 * names the setting.
 */
import { realpathSync, statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import type { PermissionMode, SessionOptions } from '../protocol/events.js';
import { AppError } from './errors.js';
import { isInside } from './paths.js';

export type McpPolicy = 'off' | 'files' | 'any';

export interface OptionsPolicy {
  permissionModes: readonly PermissionMode[];
  mcp: McpPolicy;
}

export const OPEN_POLICY: OptionsPolicy = {
  permissionModes: ['default', 'acceptEdits', 'bypassPermissions', 'plan', 'dontAsk', 'auto', 'manual'],
  mcp: 'any',
};

function refuse(message: string): never {
  throw new AppError('policy_refused', message);
}

/**
 * Throws 403 when the options break the policy; returns them with MCP config
 * files replaced by their real paths (so a link swapped later cannot redirect).
 */
export function enforcePolicy(options: SessionOptions, policy: OptionsPolicy, roots: readonly string[]): SessionOptions {
  checkMode(options.permissionMode, policy, 'permission mode');
  const mcpConfig = options.mcpConfig?.map((entry) => checkMcpEntry(entry, policy, roots));
  if (options.agents !== undefined) checkAgents(options.agents, policy);
  return { ...options, ...(mcpConfig ? { mcpConfig } : {}) };
}

function checkMode(mode: string | undefined, policy: OptionsPolicy, what: string): void {
  if (mode === undefined || (policy.permissionModes as readonly string[]).includes(mode)) return;
  refuse(
    `The ${what} "${mode}" is not allowed on this server (PERMISSION_MODES allows: ${policy.permissionModes.join(', ')}).`,
  );
}

function checkMcpEntry(entry: string, policy: OptionsPolicy, roots: readonly string[]): string {
  if (policy.mcp === 'any') return entry;
  if (policy.mcp === 'off') refuse('MCP configs are turned off on this server (MCP_CONFIG=off).');
  if (entry.trimStart().startsWith('{')) {
    refuse('Inline MCP configs are refused on this server: pass the path of a config file inside the allowed roots (MCP_CONFIG=files).');
  }
  const notAllowed = () =>
    refuse(`The MCP config ${entry} is not a file inside the allowed roots (MCP_CONFIG=files allows only those).`);
  if (!isAbsolute(entry)) refuse(`The MCP config ${entry} must be an absolute path to a file inside the allowed roots (MCP_CONFIG=files).`);
  let real: string;
  try {
    real = realpathSync(entry);
  } catch {
    return notAllowed();
  }
  // The same answer for "outside" and "missing": no probing of other folders.
  if (!roots.some((root) => isInside(root, real)) || !statSync(real).isFile()) notAllowed();
  return real;
}

function checkAgents(agentsJson: string, policy: OptionsPolicy): void {
  let agents: unknown;
  try {
    agents = JSON.parse(agentsJson);
  } catch {
    refuse('The agent definitions are not valid JSON.');
  }
  if (typeof agents !== 'object' || agents === null) return;
  for (const [name, value] of Object.entries(agents as Record<string, unknown>)) {
    if (typeof value !== 'object' || value === null) continue;
    const agent = value as Record<string, unknown>;
    if (typeof agent.permissionMode === 'string') checkMode(agent.permissionMode, policy, `permission mode of agent ${name}`);
    if (policy.mcp === 'any') continue;
    if (agent.mcpServers !== undefined) {
      refuse(`Agent ${name} brings its own MCP servers, which this server refuses (MCP_CONFIG=${policy.mcp}; only "any" allows them).`);
    }
    if (agent.hooks !== undefined) {
      refuse(`Agent ${name} brings hooks (shell commands), which this server refuses (MCP_CONFIG=${policy.mcp}; only "any" allows them).`);
    }
  }
}
