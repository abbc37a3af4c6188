import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a path answers: a status, headers, a body, after a delay; or a handler of its own. */
export type DocumentAnswer =
  | { status?: number; headers?: Record<string, string>; body?: string | Buffer; delayMs?: number }
  | ((req: IncomingMessage, res: ServerResponse) => void);

/** Client ID metadata documents served on 127.0.0.1, each path counting the requests it got. */
export interface DocumentServer {
  origin: string;
  port: number;
  /** The http://127.0.0.1:<port> URL of `path`. */
  url(path: string): string;
  serve(path: string, answer: DocumentAnswer): void;
  /** A JSON document with the given Cache-Control (none when omitted). */
  serveJson(path: string, document: unknown, cacheControl?: string): void;
  hits(path: string): number;
  close(): Promise<void>;
}

export async function startDocumentServer(): Promise<DocumentServer> {
  const answers = new Map<string, DocumentAnswer>();
  const counts = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    counts.set(path, (counts.get(path) ?? 0) + 1);
    const answer = answers.get(path);
    if (!answer) return void res.writeHead(404).end();
    if (typeof answer === 'function') return answer(req, res);
    const send = () => res.writeHead(answer.status ?? 200, answer.headers ?? {}).end(answer.body ?? '');
    if (!answer.delayMs) return send();
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!res.destroyed) send();
    }, answer.delayMs);
    timers.add(timer);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    port,
    url: (path) => `${origin}${path}`,
    serve: (path, answer) => void answers.set(path, answer),
    serveJson(path, document, cacheControl) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (cacheControl) headers['cache-control'] = cacheControl;
      answers.set(path, { headers, body: JSON.stringify(document) });
    },
    hits: (path) => counts.get(path) ?? 0,
    close() {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
