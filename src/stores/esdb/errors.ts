import {
  AccessDeniedError,
  CancelledError,
  DeadlineExceededError,
  MaxAppendSizeExceededError,
  NotLeaderError,
  StreamDeletedError,
  TimeoutError,
  UnavailableError,
  UnknownError,
} from '@kurrent/kurrentdb-client';
import { StoreCorruptError, StoreUnavailableError } from '../../eventsourcing/eventStore.js';
import { NETWORK_ERRNO } from '../networkErrors.js';

/**
 * `host:port[,host:port…]` of a connection string: the only part of it that may appear in a message,
 * because the rest can hold a password.
 */
export function describeTarget(connectionString: string): string {
  const afterScheme = connectionString.trim().replace(/^[a-z+]+:\/\//i, '');
  // Credentials come first and end at the first '@' (the client allows '/' and '?' in a password).
  const at = afterScheme.indexOf('@');
  const hosts = afterScheme.slice(at + 1).split(/[/?]/, 1)[0];
  return hosts ? hosts : '(no host)';
}

/** Why a connection string was refused, without echoing it (the client's own message does). */
export function describeConnectionStringError(err: unknown): string {
  if (err instanceof Error && 'expected' in err && 'location' in err) {
    const [from] = (err as Error & { location: [number, number] }).location;
    return `expected ${String((err as Error & { expected: unknown }).expected)} at character ${from}`;
  }
  return firstLine(err);
}

// The client's native reader reports failures with its class name as the whole message.
const BARE_NAMES: Record<string, string> = {
  UnavailableError: 'unavailable (no connection to the server)',
  DeadlineExceededError: 'no answer before the deadline',
  NotLeaderError: 'the node is not the leader',
  UnknownError: 'unknown error',
};

function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const line = message
    .split('\n', 1)[0]
    .replace(/\s*Resolution note:\s*$/, '')
    .trim();
  if (Object.hasOwn(BARE_NAMES, line)) return BARE_NAMES[line];
  return line || (err instanceof Error ? err.name : 'unknown error');
}

// gRPC status codes the client leaves untyped.
const GRPC = {
  INVALID_ARGUMENT: 3,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
} as const;

// gRPC statuses that say the request itself is wrong: asking again gets the same answer.
const PERMANENT_STATUS = new Set<number>([
  GRPC.INVALID_ARGUMENT,
  GRPC.FAILED_PRECONDITION,
  GRPC.OUT_OF_RANGE,
  GRPC.UNIMPLEMENTED,
]);
// Server and gRPC wordings of refusals that no retry fixes, whatever status carried them.
const PERMANENT_MESSAGE =
  /invalid (read )?position|position .*(invalid|out of range)|larger than max|maximum (append|event|message) size|record too large|too large|exceeds the (maximum|limit)/i;

/** True when the server refused this very request for a reason no retry fixes (size limits, bad positions). */
function isPermanent(err: unknown): boolean {
  if (err instanceof MaxAppendSizeExceededError) return true;
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'number' && PERMANENT_STATUS.has(code)) return true;
  if (code === GRPC.RESOURCE_EXHAUSTED && /larger than max/i.test(err.message)) return true;
  return PERMANENT_MESSAGE.test(err.message);
}

/** True for failures worth retrying: the server (or the path to it) is down, busy or changing leader. */
export function isTransient(err: unknown): boolean {
  if (isPermanent(err)) return false;
  if (
    err instanceof UnavailableError ||
    err instanceof DeadlineExceededError ||
    err instanceof TimeoutError ||
    err instanceof CancelledError ||
    err instanceof NotLeaderError ||
    // What is left untyped: a reset or broken stream (INTERNAL, UNKNOWN) or an unrecognised batch reply.
    err instanceof UnknownError
  ) {
    return true;
  }
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && NETWORK_ERRNO.has(code)) return true;
  // Cluster discovery gives up with a plain Error once every gossip seed failed.
  return /^Failed to discover/.test(err.message);
}

/**
 * True when an append may or may not have been written: the request left but no answer came back
 * (deadline, lost connection, broken batch stream). Retrying it with the same ids is safe.
 */
export function isOutcomeUnknown(err: unknown): boolean {
  return isTransient(err) && !(err instanceof NotLeaderError);
}

export const isAccessDenied = (err: unknown) =>
  err instanceof AccessDeniedError || (err as { code?: unknown } | null)?.code === GRPC.PERMISSION_DENIED;

/** One line saying what went wrong with the server, naming neither it nor the connection string. */
export function reasonOf(err: unknown): string {
  if (isAccessDenied(err)) {
    return (
      `access denied (${firstLine(err)}): the connection string's user must be allowed to read $all and to read ` +
      `and write the ledger's streams`
    );
  }
  return firstLine(err);
}

/** Maps a client error onto the port's error classes; anything else is a bug and passes through. */
export function translateError(err: unknown, target: string): Error {
  if (err instanceof StoreUnavailableError || err instanceof StoreCorruptError) return err;
  if (isAccessDenied(err)) {
    // Waiting will not fix it, but it is the store refusing service, not a damaged ledger.
    return new StoreUnavailableError(`EventStoreDB at ${target} refused: ${reasonOf(err)}`, { cause: err });
  }
  if (err instanceof StreamDeletedError) {
    return new StoreCorruptError(
      `stream ${err.streamName} was deleted in EventStoreDB at ${target}; ledger streams are never deleted`,
      {
        cause: err,
      },
    );
  }
  if (isPermanent(err)) {
    return new Error(`EventStoreDB at ${target} refused the request: ${reasonOf(err)}`, { cause: err });
  }
  if (isTransient(err)) {
    return new StoreUnavailableError(`EventStoreDB at ${target} is unavailable: ${reasonOf(err)}`, { cause: err });
  }
  return err instanceof Error ? err : new Error(String(err));
}
