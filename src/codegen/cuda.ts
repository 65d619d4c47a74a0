import type { LaunchPlan, PlanEntry } from '../plan/plan.js';
import type { KernelSpec } from '../spec.js';
import { templateContext, type CompileUnit, type GeneratedSource } from './common.js';
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
  const { plan, entriesOf } = launchPlan(spec, built);
  const launched = new Set(plan.entries.map((e) => e.name));
  const familyParts: Record<string, object | false> = Object.fromEntries(CUDA_FAMILIES.map((f) => {
    const b = built.find((x) => x.family === f);
    return [f.id, b ? launchableParts(b.build.parts, launched) : false];
  }));
  const renderSource = (parts: Record<string, object | false>, families: readonly Built[], launcher: string) => render('cuda/dwconv.cu.hbs', {
    ...ctx, ...parts, threads,
    deviceCode: families.map(({ family }) => render(`cuda/${family.template}.hbs`, { ...ctx, ...parts, threads })).join(''),
    families: families.map((b) => b.family.label).join(', '),
    hostLauncher: launcher,
  });
  const source = renderSource(familyParts, built, hostLauncher(ctx.symbol, plan));
  const kernel = variant ? variant.kernel : built.length === 1 ? built[0]!.family.id : 'auto';
  return {
    target: 'cuda', symbol: ctx.symbol, language: 'cuda', source, specJson: ctx.specJson, plan,
    variant: Object.assign({ kernel }, ...built.map((b) => b.build.variant)) as Record<string, string | number>,
    units: () => compileUnits(built, entriesOf, familyParts, (parts, b) => renderSource({ ...noFamilies, ...parts }, [b], ''), variant ? undefined : endsInCatchAll(plan)),
  };
}

type Built = { readonly family: CudaFamily; readonly build: FamilyBuild };
const noFamilies: Record<string, false> = Object.fromEntries(CUDA_FAMILIES.map((f) => [f.id, false] as const));

/**
 * The device code as programs that compile apart: one per entry point where the family's template
 * lists its entry points (the tiled load/store widths, the NHWC vector widths), else one per family.
 * Each is the source's preamble and that device code alone, so each kernel's machine code is the
 * whole source's compiled as one program without --split-compile (a toolchain test compares them;
 * with --split-compile=0 the whole source's NHWC ring came out differently under nvcc 13 and NVRTC
 * 13.0, docs/perf.md). NVRTC compiles them at once (docs/perf.md, "NVRTC cold compile"): the whole
 * waits for its slowest kernel, not for the sum. `catchAll`: the plan's entry that takes every call,
 * where there is one; the programs of a family that compiles later (CudaFamily.compiledLater) are
 * then marked so (CompileUnit.later).
 */
function compileUnits(
  built: readonly Built[],
  entriesOf: ReadonlyMap<CudaFamily, readonly PlanEntry[]>,
  familyParts: Readonly<Record<string, object | false>>,
  renderUnit: (parts: Record<string, object>, b: Built) => string,
  catchAll: string | undefined,
): CompileUnit[] {
  return built.flatMap((b) => {
    const names = [...new Set(entriesOf.get(b.family)!.map((e) => e.name))];
    const weight = b.family.compileWeight ?? 1;
    const later = b.family.compiledLater === true && catchAll !== undefined && !names.includes(catchAll) ? { later: true } : {};
    const parts = familyParts[b.family.id] as object;
    const listed = (parts as { entries?: unknown }).entries;
    const own = Array.isArray(listed) ? (listed as { name: string }[]) : [];
    if (names.length > 1 && names.every((n) => own.some((e) => e.name === n))) {
      return names.map((name) => ({ entries: [name], source: renderUnit({ [b.family.id]: { ...parts, entries: own.filter((e) => e.name === name) } }, b), weight, ...later }));
    }
    return [{ entries: names, source: renderUnit({ [b.family.id]: parts }, b), weight, ...later }];
  });
}

/**
 * The plan's last entry where it takes every call the plan's checks let through (no condition, no
 * fit), else undefined. Not asked for a variant's source: a pinned family is the kernel to run from
 * the first call.
 */
function endsInCatchAll(plan: LaunchPlan): string | undefined {
  const last = plan.entries.at(-1);
  const always = last?.when.op === 'const' && last.when.value !== 0;
  return always && last.fits === undefined ? last.name : undefined;
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

function launchPlan(spec: KernelSpec, built: readonly Built[]): { plan: LaunchPlan; entriesOf: Map<CudaFamily, PlanEntry[]> } {
  const prologue = planPrologue(spec);
  const ranked = [...built].sort((a, b) => a.family.launchRank - b.family.launchRank);
  // Each family's entries at its rank, and its early entries (if any) at theirs; a stable sort keeps
  // registry order among equal ranks.
  const groups = ranked.flatMap((b, i) => [
    { family: b.family, rank: b.family.launchRank, entries: b.build.entries(i === ranked.length - 1) },
    ...(b.build.early ? [{ family: b.family, rank: b.build.early.rank, entries: b.build.early.entries() }] : []),
  ]).sort((x, y) => x.rank - y.rank);
  const entriesOf = new Map(ranked.map((b) => [b.family, groups.filter((g) => g.family === b.family).flatMap((g) => g.entries)]));
  return {
    plan: {
      ...prologue,
      checks: [...prologue.checks, ...built.flatMap((b) => b.build.checks ?? [])],
      entries: groups.flatMap((g) => g.entries),
    },
    entriesOf,
  };
}
