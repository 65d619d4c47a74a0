// Whether an entry's source is what this package generates for the spec it records: with the key
// recomputed from the parts and the source hashed against them, this binds spec, source and key, so
// an entry cannot carry edited source (or claim another spec) under a key of its own making.
import type { GeneratedSource } from '../codegen/common.js';
import { generate } from '../codegen/generate.js';
import { normalizeVariant } from '../codegen/variant.js';
import { canonicalJson, normalizeSpec } from '../spec.js';
import type { EntryMeta } from './entry-meta.js';
import { sha256 } from './key.js';
import { targetTraits } from '../backends/traits.js';

/**
 * What this version generates for the entry's spec (and recorded variant) when that is exactly the
 * entry's source and symbol; else what is wrong. A rebuild starts from this, never from the bytes an
 * entry carries.
 */
export function regenerate(meta: EntryMeta): GeneratedSource | string {
  let specJson: string;
  let spec;
  try {
    spec = normalizeSpec(meta.spec);
    specJson = canonicalJson(spec);
  } catch (err) {
    return `meta.json's spec is invalid (${(err as Error).message})`;
  }
  if (JSON.stringify(meta.spec) !== specJson) return "meta.json's spec is not in canonical form";
  const target = meta.parts.target;
  // Unpinned builds record the variant the heuristic chose; pinned ones regenerate from it.
  const candidates = [() => generate(spec, target)];
  if (targetTraits(target).hasVariants && meta.variant.kernel !== 'auto') candidates.push(() => generate(spec, target, normalizeVariant(spec, meta.variant)));
  for (const make of candidates) {
    try {
      const generated = make();
      if (sha256(generated.source) === meta.parts.sourceSha256) {
        return generated.symbol === meta.symbol ? generated : `meta.json names symbol ${meta.symbol}, the spec's is ${generated.symbol}`;
      }
    } catch {
      // a variant that does not apply to the spec: not this one
    }
  }
  return "the source is not what this version generates for meta.json's spec";
}

/** What is wrong with the entry's spec, symbol or source against a fresh generation, or undefined. */
export function regenerationProblem(meta: EntryMeta): string | undefined {
  const generated = regenerate(meta);
  return typeof generated === 'string' ? generated : undefined;
}
