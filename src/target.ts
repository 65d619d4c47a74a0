/** Where a kernel runs: named here once; every other module imports it. */
export const TARGETS = ['cuda', 'cpu'] as const;
export type Target = (typeof TARGETS)[number];

/** A target as a user may ask for it: 'auto' picks CUDA when a GPU is usable, else the CPU. */
export type TargetChoice = 'auto' | Target;

export function isTarget(value: unknown): value is Target {
  return (TARGETS as readonly unknown[]).includes(value);
}
