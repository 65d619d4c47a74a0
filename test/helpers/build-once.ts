// Vitest global setup for the toolchain group: build dist/ once, before any test file runs, so the
// CLI tests (which run dist/cli/main.js in child processes) never see a half-written build.
import { execa } from 'execa';

export default async function setup(): Promise<void> {
  await execa('npm', ['run', 'build', '--silent'], { cwd: new URL('../..', import.meta.url) });
}
