import { describe, expect, it } from 'vitest';
import { buildCliArgs } from './args.js';
import { permissionResponseLine, userMessageLine } from './stdin.js';

const ID = '11111111-2222-4333-8444-555555555555';

describe('buildCliArgs', () => {
  it('starts a new conversation with --session-id and stream-json both ways', () => {
    const args = buildCliArgs({ options: {}, claudeSessionId: ID, resume: false, permissionPrompts: false });
    expect(args).toEqual([
      '-p', '--input-format', 'stream-json', '--output-format', 'stream-json', '--verbose',
      '--include-partial-messages', '--session-id', ID,
    ]);
  });

  it('resumes with --resume and maps every option to its flag', () => {
    const args = buildCliArgs({
      options: {
        model: 'sonnet',
        systemPrompt: 'be brief',
        appendSystemPrompt: 'and kind',
        permissionMode: 'acceptEdits',
        allowedTools: ['Bash(git *)', 'Read'],
        disallowedTools: ['WebFetch'],
        tools: ['Bash', 'Read'],
        addDirs: ['/a', '/b'],
        mcpConfig: ['{"mcpServers":{}}'],
        jsonSchema: '{"type":"object"}',
        agents: '{}',
      },
      claudeSessionId: ID,
      resume: true,
      permissionPrompts: true,
    });
    const pairs = (flag: string) => args.flatMap((a, i) => (a === flag ? [args[i + 1]] : []));
    expect(pairs('--resume')).toEqual([ID]);
    expect(args).not.toContain('--session-id');
    expect(pairs('--model')).toEqual(['sonnet']);
    expect(pairs('--system-prompt')).toEqual(['be brief']);
    expect(pairs('--append-system-prompt')).toEqual(['and kind']);
    expect(pairs('--permission-mode')).toEqual(['acceptEdits']);
    expect(pairs('--allowedTools')).toEqual(['Bash(git *),Read']);
    expect(pairs('--disallowedTools')).toEqual(['WebFetch']);
    expect(pairs('--tools')).toEqual(['Bash,Read']);
    expect(pairs('--add-dir')).toEqual(['/a', '/b']);
    expect(pairs('--mcp-config')).toEqual(['{"mcpServers":{}}']);
    expect(pairs('--json-schema')).toEqual(['{"type":"object"}']);
    expect(pairs('--permission-prompt-tool')).toEqual(['stdio']);
  });

  it('never puts the prompt on the command line', () => {
    const args = buildCliArgs({ options: {}, claudeSessionId: ID, resume: false, permissionPrompts: false });
    expect(args.join(' ')).not.toContain('secret prompt');
    expect(JSON.parse(userMessageLine('secret prompt'))).toEqual({
      type: 'user', message: { role: 'user', content: 'secret prompt' }, parent_tool_use_id: null,
    });
  });
});

describe('permissionResponseLine', () => {
  it('answers allow with the original input and deny with a message', () => {
    expect(JSON.parse(permissionResponseLine('req1', { behavior: 'allow', input: { a: 1 }, toolUseId: 't1' }))).toEqual({
      type: 'control_response',
      response: { subtype: 'success', request_id: 'req1', response: { behavior: 'allow', updatedInput: { a: 1 }, toolUseID: 't1' } },
    });
    expect(JSON.parse(permissionResponseLine('req2', { behavior: 'deny', message: 'no' })).response.response).toEqual({
      behavior: 'deny', message: 'no',
    });
  });
});
