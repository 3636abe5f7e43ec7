/**
 * What we write to the CLI's stdin (`--input-format stream-json`): one JSON
 * object per line. A user message starts a turn; control requests and
 * responses travel on the same pipe (see docs/architecture.md).
 */

/**
 * A user message's content: the prompt alone, or content blocks as the
 * Messages API takes them (images first, as its documentation advises, then
 * the text); the CLI passes them on as they are.
 */
export type UserContent =
  | string
  | Array<{ type: 'text'; text: string } | { type: 'image'; source: { type: 'base64'; media_type: string; data: string } }>;

/** The stdin line that starts a turn. */
export function userMessageLine(content: UserContent): string {
  return JSON.stringify({ type: 'user', message: { role: 'user', content }, parent_tool_use_id: null });
}

/**
 * The stdin line that answers a can_use_tool control request. An allow may
 * switch the session's permission mode (an approved plan continues in the
 * mode the user chose): the SDK's `updatedPermissions` with `setMode`.
 */
export function permissionResponseLine(
  requestId: string,
  answer:
    | { behavior: 'allow'; input: unknown; toolUseId?: string | undefined; mode?: string | undefined }
    | { behavior: 'deny'; message: string; toolUseId?: string | undefined },
): string {
  const response =
    answer.behavior === 'allow'
      ? {
          behavior: 'allow',
          updatedInput: answer.input,
          toolUseID: answer.toolUseId,
          ...(answer.mode ? { updatedPermissions: [{ type: 'setMode', mode: answer.mode, destination: 'session' }] } : {}),
        }
      : { behavior: 'deny', message: answer.message, toolUseID: answer.toolUseId };
  return JSON.stringify({
    type: 'control_response',
    response: { subtype: 'success', request_id: requestId, response },
  });
}

/**
 * Ends the current turn and keeps the process: the CLI acknowledges at once,
 * then ends the turn with an aborted `result` and waits for the next message.
 */
export function interruptLine(requestId: string): string {
  return JSON.stringify({ type: 'control_request', request_id: requestId, request: { subtype: 'interrupt' } });
}
