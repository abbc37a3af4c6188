/**
 * `npx token-ledger serve` runs the server as npm exec → `sh -c` → node. A SIGTERM sent to npx
 * reaches the shell, which dies without passing it on, and the server ran on, orphaned, holding its
 * port and its ledger. So a server that npm started watches the process that started it and, when
 * that process is gone, stops exactly as on SIGTERM. Started any other way (node, a service manager,
 * nohup), the server outlives its parent as before.
 */
export function stopWithLauncher(env: NodeJS.ProcessEnv = process.env, intervalMs = 250): void {
  if (!env.npm_execpath) return;
  const launcher = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === launcher) return;
    clearInterval(timer);
    process.kill(process.pid, 'SIGTERM');
  }, intervalMs);
  timer.unref();
}
