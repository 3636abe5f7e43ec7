/**
 * What each soak prompt asks the scripted CLI to do (test/support/fake-claude.md).
 * The mix leans on the failure paths: a prompt that simply answers proves
 * little, one that crashes, hangs or fails at the API proves the run's end is
 * still recorded once. Steps are short: the machine has two cores and is
 * shared, and the soak must end in minutes.
 */
import type { Random } from './random.js';

export const SCENARIO_KINDS = ['text', 'slow', 'tools', 'crash', 'hang', 'api_result', 'api_line'] as const;
export type ScenarioKind = (typeof SCENARIO_KINDS)[number];

/** Percent of prompts of each kind (sums to 100). */
const MIX: ReadonlyArray<readonly [ScenarioKind, number]> = [
  ['text', 52],
  ['slow', 10],
  ['tools', 14],
  ['crash', 8],
  ['hang', 2],
  ['api_result', 7],
  ['api_line', 7],
];

export interface Scenario {
  kind: ScenarioKind;
  prompt: string;
}

type Step = Record<string, unknown>;

/** The CLI's synthetic assistant line for an API failure, as 2.1.330 prints it (test/fixtures/cli/06-*). */
function apiErrorLine(tag: string, error: string, status: number): Step {
  return {
    emit: {
      type: 'assistant',
      message: {
        id: `soak-${tag}`,
        model: '<synthetic>',
        role: 'assistant',
        type: 'message',
        stop_reason: 'stop_sequence',
        content: [{ type: 'text', text: `API Error: ${status} soak ${error}. This is a server-side issue, usually temporary.` }],
      },
      parent_tool_use_id: null,
      // Billing and usage-limit failures would pause the session's queue until
      // someone resumes it: a different soak. Only failures the queue goes on after.
      error,
      is_api_error_message: true,
      api_error_status: status,
      api_error_type: 'api_error',
    },
  };
}

export function makeScenario(random: Random, tag: string): Scenario {
  const kind = pickKind(random);
  const say = (text: string, extra: Step = {}): Step => ({ text: `${tag} ${text}`, chunks: random.int(1, 4), ...extra });
  let steps: Step[];
  switch (kind) {
    case 'text':
      steps = random.chance(0.3) ? [{ thinking: 'hmm', chunks: 2 }, say('answer')] : [say('answer')];
      break;
    case 'slow':
      steps = [say('slowly streamed answer, one piece at a time', { chunks: random.int(8, 16), delayMs: random.int(20, 60) })];
      break;
    case 'tools': {
      steps = [];
      for (let i = random.int(1, 3); i > 0; i--) {
        steps.push({ tool: { name: random.pick(['Bash', 'Read', 'Grep']), input: { command: `echo ${tag}` }, output: `out ${i}`, delayMs: random.int(0, 40) } });
      }
      steps.push(say('tools done'));
      break;
    }
    case 'crash':
      // A grandchild in the CLI's group is left alive by a crash: the server must kill the group.
      steps = [...(random.chance(0.4) ? [{ grandchild: true }] : []), say('about to crash'), { crash: random.pick([1, 2, 137]) }];
      break;
    case 'hang':
      steps = [say('about to hang'), { hang: true }];
      break;
    case 'api_result':
      // As 2.1.330 ends a turn the API failed without a synthetic line first: an error result with terminal_reason api_error.
      steps = [say('partial'), { result: { is_error: true, subtype: 'success', terminal_reason: 'api_error', result: 'API Error: 400 soak invalid request' } }];
      break;
    case 'api_line':
      steps = [apiErrorLine(tag, random.pick(['server_error', 'overloaded', 'rate_limit']), random.pick([500, 529, 429])), { result: { is_error: true } }];
      break;
    default: {
      const never: never = kind;
      throw new Error(`unknown scenario ${String(never)}`);
    }
  }
  return { kind, prompt: `FAKE ${JSON.stringify(steps)}` };
}

function pickKind(random: Random): ScenarioKind {
  let roll = random.next() * 100;
  for (const [kind, weight] of MIX) {
    roll -= weight;
    if (roll < 0) return kind;
  }
  return 'text';
}
