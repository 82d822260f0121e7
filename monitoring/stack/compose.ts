import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './layout.js';
import { runCommand } from './tools.js';

// The Docker Compose side of the runner: used when a Docker engine answers.

/** The Compose file, relative to the repository root. */
export const COMPOSE_FILE = 'docker/docker-compose.yml';

/**
 * Whether a Docker engine answers (`docker info` succeeds; a client without an engine does not).
 *
 * @returns true when Compose can run containers here
 */
export async function dockerAvailable(): Promise<boolean> {
  const result = await runCommand('docker', ['info'], { timeoutMs: 15_000 });
  return result.code === 0;
}

/**
 * Runs `docker compose -f docker/docker-compose.yml <args>` with this process's stdio.
 *
 * @param args - compose arguments, e.g. `['up', '-d']`
 * @returns the exit code
 * @throws Error when the Compose file is missing
 */
export function compose(args: readonly string[]): Promise<number> {
  const file = join(REPO_ROOT, COMPOSE_FILE);
  if (!existsSync(file)) throw new Error(`${COMPOSE_FILE} not found`);
  return new Promise((resolve) => {
    const child = spawn('docker', ['compose', '-f', file, ...args], { stdio: 'inherit', cwd: REPO_ROOT });
    child.on('error', () => resolve(127));
    child.on('close', (code) => resolve(code ?? 1));
  });
}
