import type { Caller } from './tokens.js';

/** `mcp:read` to connect and list the tools, `mcp:call` as well to run one. */
export const SCOPES = ['mcp:read', 'mcp:call'];

// Newest first: the answer to `initialize` is the client's version when it is one of these, else the newest.
const PROTOCOL_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26'];

const TOOLS = [
  {
    name: 'whoami',
    title: 'Who am I',
    description: 'Says which user and client the access token was issued to, and its scope.',
    inputSchema: { type: 'object', properties: {} },
  },
  {
    name: 'echo',
    title: 'Echo',
    description: 'Answers with the text it was given.',
    inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
  },
];

interface Request {
  jsonrpc: '2.0';
  id?: string | number;
  method: string;
  params?: Record<string, unknown>;
}

type Outcome = { result: unknown } | { error: { code: number; message: string } };
type Answer = { jsonrpc: '2.0'; id: string | number | null } & Outcome;

const isRequest = (message: unknown): message is Request => {
  const m = message as Partial<Request> | null;
  return (
    typeof m === 'object' &&
    m !== null &&
    m.jsonrpc === '2.0' &&
    typeof m.method === 'string' &&
    (m.id === undefined || typeof m.id === 'string' || typeof m.id === 'number') &&
    (m.params === undefined || (typeof m.params === 'object' && m.params !== null))
  );
};

/** The scopes a JSON-RPC message needs: running a tool needs both, anything else `mcp:read`. */
export function requiredScopes(message: unknown): string[] {
  return isRequest(message) && message.method === 'tools/call' ? SCOPES : ['mcp:read'];
}

const text = (value: string) => ({ content: [{ type: 'text', text: value }] });

function callTool(params: Record<string, unknown>, caller: Caller): Outcome {
  const args = (params.arguments ?? {}) as Record<string, unknown>;
  switch (params.name) {
    case 'whoami':
      return {
        result: {
          ...text(
            `You are ${caller.sub}, through client ${caller.clientId}, with scope "${[...caller.scopes].join(' ')}".`,
          ),
          structuredContent: { sub: caller.sub, client_id: caller.clientId, scope: [...caller.scopes].join(' ') },
        },
      };
    case 'echo':
      // A tool's own failure is a result with isError (the model may read it), not a protocol error.
      if (typeof args.text !== 'string') return { result: { ...text('echo needs a text argument'), isError: true } };
      return { result: text(args.text) };
    default:
      return { error: { code: -32602, message: `unknown tool ${JSON.stringify(params.name)}` } };
  }
}

/**
 * Answers one JSON-RPC 2.0 message of the Model Context Protocol (a stateless server: no session, no
 * server-sent events). Undefined for a notification or a response, which get no answer.
 */
export function answer(message: unknown, caller: Caller): Answer | undefined {
  if (!isRequest(message)) {
    const id = (message as { id?: unknown } | null)?.id;
    if (typeof message === 'object' && message !== null && ('result' in message || 'error' in message)) return;
    return {
      jsonrpc: '2.0',
      id: typeof id === 'string' || typeof id === 'number' ? id : null,
      error: { code: -32600, message: 'not a JSON-RPC 2.0 request (one message per POST, no batches)' },
    };
  }
  if (message.id === undefined) return; // a notification, e.g. notifications/initialized
  const params = message.params ?? {};
  const reply = (r: Outcome): Answer => ({ jsonrpc: '2.0', id: message.id!, ...r });
  switch (message.method) {
    case 'initialize': {
      const asked = params.protocolVersion;
      const version = PROTOCOL_VERSIONS.find((v) => v === asked) ?? PROTOCOL_VERSIONS[0];
      return reply({
        result: {
          protocolVersion: version,
          capabilities: { tools: { listChanged: false } },
          serverInfo: { name: 'token-ledger-example-mcp', version: '1.0.0' },
        },
      });
    }
    case 'ping':
      return reply({ result: {} });
    case 'tools/list':
      return reply({ result: { tools: TOOLS } });
    case 'tools/call':
      return reply(callTool(params, caller));
    default:
      return reply({ error: { code: -32601, message: `method ${message.method} not found` } });
  }
}
