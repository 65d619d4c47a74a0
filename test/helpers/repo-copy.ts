// A temporary copy of this repository (sources, templates, manifests; node_modules symlinked) for
// tests and tools that must change the package itself, such as its version, without touching the
// real tree.
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** What a copy holds: enough to run src/ with tsx and the unit and toolchain tests. */
const COPIED = ['src', 'templates', 'test', 'scripts', 'package.json', 'tsconfig.json', 'tsconfig.build.json', 'vitest.config.ts', 'precompile.json'];

/** Copies the repository into a fresh temporary folder and links its node_modules; returns the copy's root. */
export function copyRepo(prefix = 'dwconv-copy-'): string {
  const root = mkdtempSync(join(tmpdir(), prefix));
  for (const name of COPIED) if (existsSync(join(REPO_ROOT, name))) cpSync(join(REPO_ROOT, name), join(root, name), { recursive: true });
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
  return root;
}

/** Every .ts file under `dir`, as paths relative to `root`. */
export function sourceFiles(root: string, dir = 'src'): string[] {
  const walk = (d: string): string[] => readdirSync(d).flatMap((n) => {
    const p = join(d, n);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [relative(root, p)] : [];
  });
  return walk(join(root, dir));
}

/**
 * Replaces the first match of `pattern` in the first file under src/ (or the named file) that has
 * one; returns the file changed, or undefined when nothing matched (the code moved on).
 */
export function replaceInSources(root: string, pattern: RegExp, replacement: string, file?: string): string | undefined {
  for (const rel of file ? [file] : sourceFiles(root)) {
    const path = join(root, rel);
    if (!existsSync(path)) continue;
    const text = readFileSync(path, 'utf8');
    if (!pattern.test(text)) continue;
    writeFileSync(path, text.replace(pattern, replacement));
    return rel;
  }
  return undefined;
}
