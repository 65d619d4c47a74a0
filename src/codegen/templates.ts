// The templates are package assets, read once on first use; this is the only file access codegen does.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type Handlebars from 'handlebars';

const root = new URL('../../templates/', import.meta.url);
let engine: typeof Handlebars | undefined;

/** handlebars, loaded on the first render (a cache miss) rather than at import: it is most of an import's time (docs/perf.md). */
function handlebars(): typeof Handlebars {
  if (!engine) {
    engine = (createRequire(import.meta.url)('handlebars') as typeof Handlebars).create();
    engine.registerHelper('eq', (a: unknown, b: unknown) => a === b);
    engine.registerHelper('or', (...args: unknown[]) => args.slice(0, -1).some(Boolean));
  }
  return engine;
}

let registered = false;
const compiled = new Map<string, Handlebars.TemplateDelegate>();

function read(name: string): string {
  return readFileSync(new URL(name, root), 'utf8');
}

/** Renders templates/<name> with `context`. noEscape: this is C++, not HTML. strict: a missing field is an error, not an empty string. */
export function render(name: string, context: object): string {
  const hbs = handlebars();
  if (!registered) {
    hbs.registerPartial('cuda_type', read('cuda/type.hbs'));
    hbs.registerPartial('cuda_dtype', read('cuda/dtype.hbs'));
    hbs.registerPartial('cuda_words', read('cuda/words.hbs'));
    hbs.registerPartial('cuda_tiles', read('cuda/tiles.hbs'));
    hbs.registerPartial('cuda_direct', read('cuda/direct.hbs'));
    hbs.registerPartial('cuda_tiled', read('cuda/tiled.hbs'));
    hbs.registerPartial('cuda_ring_rows', read('cuda/ring-rows.hbs'));
    hbs.registerPartial('cuda_ring', read('cuda/ring.hbs'));
    hbs.registerPartial('cuda_ring_nhwc', read('cuda/ring-nhwc.hbs'));
    hbs.registerPartial('cuda_nhwc', read('cuda/nhwc.hbs'));
    hbs.registerPartial('cuda_separable_depthwise', read('cuda/separable-depthwise.hbs'));
    hbs.registerPartial('cuda_separable_quads', read('cuda/separable-quads.hbs'));
    hbs.registerPartial('cuda_separable_mma', read('cuda/separable-mma.hbs'));
    hbs.registerPartial('cuda_separable', read('cuda/separable.hbs'));
    hbs.registerPartial('cpu_type', read('cpu/type.hbs'));
    hbs.registerPartial('cpu_dtype', read('cpu/dtype.hbs'));
    hbs.registerPartial('cpu_interior', read('cpu/interior.hbs'));
    registered = true;
  }
  let template = compiled.get(name);
  if (!template) {
    template = hbs.compile(read(name), { noEscape: true, strict: true });
    compiled.set(name, template);
  }
  return template(context);
}
