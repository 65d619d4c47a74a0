// The CLI parses and prints: it reaches the library through the public API (src/index.ts) only, so
// everything it does is something a library user can do too.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const cliDir = fileURLToPath(new URL('../../src/cli/', import.meta.url));
const files = readdirSync(cliDir).filter((f) => f.endsWith('.ts'));

function importsOf(source: string): string[] {
  const specifiers = [...source.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'/gm), ...source.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)];
  return specifiers.map((m) => m[1]!);
}

describe('thin CLI', () => {
  it('has files to check', () => {
    expect(files.length).toBeGreaterThan(3);
  });

  it.each(files)('src/cli/%s imports only the public API, its own helpers, node: and commander', (file) => {
    const bad = importsOf(readFileSync(join(cliDir, file), 'utf8')).filter(
      (s) => !(s === '../index.js' || /^\.\/[\w-]+\.js$/.test(s) || s.startsWith('node:') || s === 'commander'),
    );
    expect(bad).toEqual([]);
  });

  it('the scan sees a forbidden import', () => {
    expect(importsOf("import { x } from '../compile.js';\nimport type { Y } from '../tools/demo.js';")).toEqual(['../compile.js', '../tools/demo.js']);
  });
});
