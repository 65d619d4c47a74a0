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
import type { Target } from '../codegen/common.js';

/**
 * The modules each target's generator runs (its backend's generate and the import closure of its
 * codegen module), relative to the package's code folder, without extension. A unit test keeps these
 * lists equal to those closures.
 */
export const GENERATOR_MODULES: Readonly<Record<Target, readonly string[]>> = {
  cpu: ['backends/cpu', 'codegen/common', 'codegen/cpu', 'codegen/epilogue', 'codegen/templates', 'errors', 'spec', 'version'],
  cuda: [
    'backends/cuda', 'codegen/c-expr', 'codegen/common', 'codegen/cuda', 'codegen/cuda-direct', 'codegen/cuda-nhwc', 'codegen/cuda-ring',
    'codegen/cuda-ring-any', 'codegen/cuda-ring-nhwc', 'codegen/cuda-separable', 'codegen/cuda-tiled', 'codegen/epilogue', 'codegen/families', 'codegen/family',
    'codegen/footprint', 'codegen/host-launcher', 'codegen/plan-prologue', 'codegen/ring-segment', 'codegen/templates', 'dtype', 'errors', 'plan/expr', 'plan/plan', 'spec', 'version',
  ],
};

/**
 * The template folder each target renders from: templates.ts names every partial by its folder
 * (cpu_type, cuda_type), so one target's templates can only include partials of its own folder.
 */
const TEMPLATE_FOLDER: Readonly<Record<Target, string>> = { cpu: 'cpu', cuda: 'cuda' };

// Paths joined as strings: this runs on every cache hit, and URL objects cost more than the stats.
const here = fileURLToPath(import.meta.url);
const codeRoot = dirname(dirname(here));
const templatesRoot = join(dirname(codeRoot), 'templates');
/** '.js' in the built package, '.ts' where the sources run as they are (tests, tsx). */
const extension = /\.[cm]?[jt]s$/.exec(here)?.[0] ?? '.js';

/** The files whose content decides a target's generated source, absolute, in a fixed order. */
export function codegenInputs(target: Target): string[] {
  const modules = GENERATOR_MODULES[target].map((m) => join(codeRoot, `${m}${extension}`));
  const dir = join(templatesRoot, TEMPLATE_FOLDER[target]);
  const templates = readdirSync(dir).filter((f) => f.endsWith('.hbs')).sort().map((f) => join(dir, f));
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

/** A target's generator's identity now; undefined when an input cannot be read (then nothing is remembered or reused). */
export function codegenIdentity(packageVersion: string, target: Target, inputs: (target: Target) => string[] = codegenInputs): CodegenIdentity | undefined {
  try {
    const files = inputs(target).map(fileIdentity);
    return { identity: [packageVersion, target, ...files.map((f) => f.identity)].join('\n'), newestChangeMs: Math.max(...files.map((f) => f.changedMs)) };
  } catch {
    return undefined;
  }
}
