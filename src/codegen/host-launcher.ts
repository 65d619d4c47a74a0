// The nvcc library's C entry point, emitted from the launch plan: the argument checks, then each
// entry's condition in order, its tile grid, shared memory and launch. The NVRTC launcher reads the
// same plan (src/plan/choose.ts), so the two builds take one decision per call.
import type { LaunchPlan, PlanEntry } from '../plan/plan.js';
import { DEFAULT_SHARED_LIMIT, tileGridFields } from '../plan/plan.js';
import type { Expr, PlanVariable } from '../plan/expr.js';
import { C_VARIABLES, cExpr } from './c-expr.js';
import { render } from './templates.js';

const IND = '  ';

/** The C++ source of the host side: helpers and `extern "C" int <symbol>(...)`. */
export function hostLauncher(symbol: string, plan: LaunchPlan): string {
  return render('cuda/host.hbs', { symbol, body: launcherBody(plan).join('\n') });
}

function launcherBody(plan: LaunchPlan): string[] {
  const lines = [
    `${IND}if (${plan.requiredPointers.map((p) => `!${p}`).join(' || ')}) return -1;`,
    `${IND}const i64 Ho = ${cExpr(plan.Ho)};`,
    `${IND}const i64 Wo = ${cExpr(plan.Wo)};`,
    // Every alignment the plan asks divides 256.
    ...(['x', 'y', 'r'] as const).map((p) => `${IND}const i64 ${p}_low = (i64)((unsigned long long)${p} & 255);`),
    ...plan.checks.map((c) => `${IND}if (!${cExpr(c)}) return -1;`),
    // Only plans that name the SM count read it, so the other launchers' source (and key) stay as they were.
    ...(planNames(plan, 'SMs') ? multiprocessorQuery() : []),
    `${IND}// The kernels' arguments: pointers, the epilogue's operands, sizes as int (checked above), the pixel count.`,
    `${IND}const storage_t* xs = (const storage_t*)x;`,
    `${IND}const storage_t* ws = (const storage_t*)w;`,
    `${IND}EpiArgs e{(const storage_t*)b, (const float*)scale, (const float*)shift, (const out_t*)r, (const storage_t*)pw, (const storage_t*)pb};`,
    `${IND}out_t* ys = (out_t*)y;`,
    `${IND}int c = (int)C, h = (int)H, w_ = (int)W, ho = (int)Ho, wo = (int)Wo;`,
    `${IND}i64 pixels = N * Ho * Wo;`,
    `${IND}const cudaStream_t s = (cudaStream_t)stream;`,
  ];
  for (const entry of plan.entries) lines.push(...entryLaunch(entry));
  lines.push(`${IND}return -1;`);
  return lines;
}

/**
 * The SM count of the device the call launches on (the current one), per call: a process may launch
 * on several devices. A failed query returns its cudaError_t.
 */
function multiprocessorQuery(): string[] {
  return [
    `${IND}int sm_count = 0;`,
    `${IND}{`,
    `${IND}${IND}int device = 0;`,
    `${IND}${IND}cudaError_t err = cudaGetDevice(&device);`,
    `${IND}${IND}if (err == cudaSuccess) err = cudaDeviceGetAttribute(&sm_count, cudaDevAttrMultiProcessorCount, device);`,
    `${IND}${IND}if (err != cudaSuccess) return (int)err;`,
    `${IND}}`,
    `${IND}const i64 ${C_VARIABLES.SMs} = sm_count;`,
  ];
}

/** Whether any expression of the plan reads the variable. */
function planNames(plan: LaunchPlan, name: PlanVariable): boolean {
  const names = (e: Expr): boolean => {
    switch (e.op) {
      case 'const': return false;
      case 'var': return e.name === name;
      case 'and': case 'or': return e.args.some(names);
      case 'not': return names(e.a);
      default: return names(e.a) || names(e.b);
    }
  };
  const entryExprs = (e: PlanEntry) => [e.when, ...(e.fits ? [e.fits] : []), e.sharedBytes, ...tileGridFields(e.grid)];
  return [plan.Ho, plan.Wo, ...plan.checks, ...plan.entries.flatMap(entryExprs)].some(names);
}

/** One entry: taken when its condition holds (and, with clusters, its code was built for them). */
function entryLaunch(entry: PlanEntry): string[] {
  const kernel = `(const void*)${entry.scope}::${entry.name}`;
  const args = ['&xs', '&ws', '&e', '&ys', '&c', '&h', '&w_', '&ho', '&wo', '&grid', ...(entry.takesPixels ? ['&pixels'] : [])];
  const launch = [
    ...(entry.fits ? [`if (!${cExpr(entry.fits)}) return -1;`] : []),
    `TileGrid grid = make_tile_grid(${tileGridFields(entry.grid).map(cExpr).join(', ')});`,
    `const int smem = (int)${cExpr(entry.sharedBytes)};`,
    ...(entry.maxSharedBytes > DEFAULT_SHARED_LIMIT
      ? [`if (smem > ${DEFAULT_SHARED_LIMIT}) {`, `${IND}const int err = allow_shared(${kernel}, smem);`, `${IND}if (err != 0) return err;`, '}']
      : []),
    `void* args[] = {${args.join(', ')}};`,
    `return launch(${kernel}, grid_blocks(grid.tiles, ${entry.tilesPerBlock}), ${entry.threads}, smem, s, args);`,
  ];
  const taken = entry.cluster
    ? [`const int built = built_for_clusters(${kernel});`, 'if (built < 0) return -built;', 'if (built) {', ...launch.map((l) => IND + l), '}']
    : launch;
  const always = entry.when.op === 'const' && entry.when.value !== 0;
  const block = always ? ['{', ...taken.map((l) => IND + l), '}'] : [`if (${cExpr(entry.when)}) {`, ...taken.map((l) => IND + l), '}'];
  return [`${IND}// ${entry.name}`, ...block.map((l) => IND + l)];
}
