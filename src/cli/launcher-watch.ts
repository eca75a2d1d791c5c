/** How often the launcher check runs; cheap (a getppid call), and unref'd so it never keeps the process up. */
const CHECK_MS = 500;

/**
 * Calls `onGone` once when the process that started this one exits, if that
 * process is an npm launcher (npm start, npx, npm exec). npm runs a bin through
 * `sh -c`, and on SIGTERM npm forwards the signal to that shell only: the shell
 * dies and the server would be left running under PID 1. Noticing the new
 * parent turns that into the same graceful shutdown as a signal. Outside npm
 * (systemd, a shell with `&`, nohup) an exiting parent means nothing and is ignored.
 */
export function watchLauncher(onGone: () => void, env: NodeJS.ProcessEnv = process.env): void {
  if (env.npm_lifecycle_event === undefined) return;
  const launcher = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === launcher) return;
    clearInterval(timer);
    onGone();
  }, CHECK_MS);
  timer.unref();
}
