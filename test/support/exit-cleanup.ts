/*
 * Servers started by the test support are child processes, and network
 * namespaces outlive the process that made them. When a test file crashes or is
 * killed by vitest, afterAll never runs; these handlers still stop what they
 * can, synchronously, as the process exits.
 */

const cleanups = new Set<() => void>();
let installed = false;

/**
 * Runs `cleanup` synchronously when the process exits (normally or on SIGINT
 * or SIGTERM), unless the returned function is called first to unregister it.
 */
export function onProcessExit(cleanup: () => void): () => void {
  install();
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

function runAll(): void {
  for (const cleanup of [...cleanups].reverse()) {
    try {
      cleanup();
    } catch {
      // Best effort: the process is going away.
    }
  }
  cleanups.clear();
}

function install(): void {
  if (installed) return;
  installed = true;
  process.once('exit', runAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      runAll();
      process.kill(process.pid, signal);
    });
  }
}
