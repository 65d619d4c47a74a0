// Everything generated source depends on besides the spec, target and variant: the code that
// generates it, the templates it renders and the template engine. Their identity (the files' device,
// inode, size and times) names one version of the generator, so a source's sha256 learned by one
// process can be reused by the next one without rendering again (cache/source-index.ts). Any edit,
// copy or upgrade of one of these files changes its ctime, which no user can set back: the identity
// changes and the sources are generated again.
import { readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The modules generate() runs (the import closure of codegen/generate), relative to the package's
 * code folder, without extension. A unit test keeps this list equal to that closure.
 */
export const CODEGEN_MODULES: readonly string[] = [
  'codegen/c-expr', 'codegen/common', 'codegen/cpu', 'codegen/cuda', 'codegen/cuda-direct', 'codegen/cuda-nhwc',
  'codegen/cuda-ring', 'codegen/cuda-ring-nhwc', 'codegen/cuda-separable', 'codegen/cuda-tiled', 'codegen/epilogue',
  'codegen/families', 'codegen/family', 'codegen/footprint', 'codegen/generate', 'codegen/host-launcher',
  'codegen/plan-prologue', 'codegen/templates', 'codegen/variant', 'dtype', 'errors', 'plan/expr', 'plan/plan', 'spec', 'version',
];

/** The template folders templates.ts reads (every .hbs file in them is a partial). */
const TEMPLATE_FOLDERS = ['cpu', 'cuda'];

// Paths joined as strings: this runs on every cache hit, and URL objects cost more than the stats.
const here = fileURLToPath(import.meta.url);
const codeRoot = dirname(dirname(here));
const templatesRoot = join(dirname(codeRoot), 'templates');
/** '.js' in the built package, '.ts' where the sources run as they are (tests, tsx). */
const extension = /\.[cm]?[jt]s$/.exec(here)?.[0] ?? '.js';

/** The files whose content decides generated source, absolute, in a fixed order. */
export function codegenInputs(): string[] {
  const modules = CODEGEN_MODULES.map((m) => join(codeRoot, `${m}${extension}`));
  const templates = TEMPLATE_FOLDERS.flatMap((folder) => {
    const dir = join(templatesRoot, folder);
    return readdirSync(dir).filter((f) => f.endsWith('.hbs')).sort().map((f) => join(dir, f));
  });
  // The engine's version: its package.json changes with every install or upgrade.
  return [...modules, ...templates, enginePackageJson()];
}

/**
 * handlebars' package.json, where templates.ts's require finds the package: the first node_modules
 * folder up from here that has it (require's own walk, without the cost of building a require).
 */
function enginePackageJson(): string {
  for (let dir = dirname(here); ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', 'handlebars', 'package.json');
    if (statSync(candidate, { throwIfNoEntry: false })?.isFile()) return candidate;
    if (dirname(dir) === dir) return createRequire(import.meta.url).resolve('handlebars/package.json');
  }
}

/** One file's identity: what changes whenever its content may have (ctime moves on every write, rename or copy). */
export function fileIdentity(path: string): { identity: string; changedMs: number } {
  const st = statSync(path);
  return { identity: `${path}|${st.dev}|${st.ino}|${st.size}|${st.mtimeMs}|${st.ctimeMs}`, changedMs: Math.max(st.mtimeMs, st.ctimeMs) };
}

export interface CodegenIdentity {
  /** The package version and every input's identity, one per line. */
  readonly identity: string;
  /** The latest change of any input (ms since the epoch). */
  readonly newestChangeMs: number;
}

/** The generator's identity now; undefined when an input cannot be read (then nothing is remembered or reused). */
export function codegenIdentity(packageVersion: string, inputs: () => string[] = codegenInputs): CodegenIdentity | undefined {
  try {
    const files = inputs().map(fileIdentity);
    return { identity: [packageVersion, ...files.map((f) => f.identity)].join('\n'), newestChangeMs: Math.max(...files.map((f) => f.changedMs)) };
  } catch {
    return undefined;
  }
}
