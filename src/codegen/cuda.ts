import type { LaunchPlan } from '../plan/plan.js';
import type { KernelSpec } from '../spec.js';
import { templateContext, type GeneratedSource } from './common.js';
import { CUDA_FAMILIES } from './families.js';
import type { CudaFamily, FamilyBuild } from './family.js';
import { hostLauncher } from './host-launcher.js';
import { planPrologue } from './plan-prologue.js';
import { render } from './templates.js';
import type { CudaVariant } from './variant.js';

/**
 * One source per spec and variant: every family that holds for them (see each family's build), its
 * device code in registry order, its plan entries in launch order, and the nvcc host launcher
 * emitted from that plan. Without a variant the launcher chooses per call from the shape (narrow
 * planes go to the direct kernel); a variant pins one family and tile height (tests, tuning).
 */
export function generateCuda(spec: KernelSpec, variant?: CudaVariant): GeneratedSource {
  const ctx = templateContext(spec, 'cuda');
  const built = CUDA_FAMILIES.flatMap((family) => {
    const build = family.build(spec, variant, ctx.symbol);
    return build ? [{ family, build }] : [];
  });
  const threads = sourceThreads(built.map((b) => b.family));
  const plan = launchPlan(spec, built);
  const launched = new Set(plan.entries.map((e) => e.name));
  const familyParts = Object.fromEntries(CUDA_FAMILIES.map((f) => {
    const b = built.find((x) => x.family === f);
    return [f.id, b ? launchableParts(b.build.parts, launched) : false];
  }));
  const deviceCode = built.map(({ family }) => render(`cuda/${family.template}.hbs`, { ...ctx, ...familyParts, threads })).join('');
  const source = render('cuda/dwconv.cu.hbs', {
    ...ctx, ...familyParts, threads, deviceCode,
    families: built.map((b) => b.family.label).join(', '),
    hostLauncher: hostLauncher(ctx.symbol, plan),
  });
  const kernel = variant ? variant.kernel : built.length === 1 ? built[0]!.family.id : 'auto';
  return {
    target: 'cuda', symbol: ctx.symbol, language: 'cuda', source, specJson: ctx.specJson, plan,
    variant: Object.assign({ kernel }, ...built.map((b) => b.build.variant)) as Record<string, string | number>,
  };
}

/**
 * A family's template values with only the entry points the plan can launch: neither launcher (the
 * emitted nvcc one, the NVRTC one) calls another, so compiling one would only cost compile time
 * (each fully unrolled entry point is about a tenth of a second of NVRTC's time, docs/perf.md).
 */
function launchableParts(parts: object, launched: ReadonlySet<string>): object {
  const entries = (parts as { entries?: unknown }).entries;
  if (!Array.isArray(entries)) return parts;
  return { ...parts, entries: entries.filter((e: { name: string }) => launched.has(e.name)) };
}

/** The template's THREADS: one value for every family in the source. */
function sourceThreads(families: readonly CudaFamily[]): number {
  const threads = new Set(families.map((f) => f.threads));
  if (threads.size !== 1) throw new Error(`families ${families.map((f) => f.id).join(', ')} disagree on threads per block`);
  return [...threads][0]!;
}

function launchPlan(spec: KernelSpec, built: readonly { family: CudaFamily; build: FamilyBuild }[]): LaunchPlan {
  const prologue = planPrologue(spec);
  const ranked = [...built].sort((a, b) => a.family.launchRank - b.family.launchRank);
  return {
    ...prologue,
    checks: [...prologue.checks, ...built.flatMap((b) => b.build.checks ?? [])],
    entries: ranked.flatMap((b, i) => b.build.entries(i === ranked.length - 1)),
  };
}
