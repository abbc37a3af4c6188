import { startupErrorLine } from '../startupError.js';

/** A command that could not go on (a refusal, a fault): scripts test for any status but 0. */
const EXIT_FAILED = 1;

/** The one line a failed command prints on stderr, and the status it exits with. */
export function cliFailure(err: unknown): { line: string; exitCode: number } {
  return { line: startupErrorLine(err), exitCode: EXIT_FAILED };
}

/** Ends a command that could not go on: its line on stderr, its status for the process. */
export function failCommand(err: unknown): void {
  const { line, exitCode } = cliFailure(err);
  console.error(line);
  process.exitCode = exitCode;
}
