// The templates are package assets, read once on first use; this is the only file access codegen does.
import { readdirSync, readFileSync } from 'node:fs';
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

/** Every template is also a partial, named by its folder and file: cuda/ring-nhwc.hbs is cuda_ring_nhwc. */
function registerPartials(): void {
  for (const folder of ['cuda', 'cpu']) {
    for (const file of readdirSync(new URL(`${folder}/`, root)).filter((f) => f.endsWith('.hbs')).sort()) {
      handlebars().registerPartial(`${folder}_${file.slice(0, -'.hbs'.length).replaceAll('-', '_')}`, read(`${folder}/${file}`));
    }
  }
}

/** Renders templates/<name> with `context`. noEscape: this is C++, not HTML. strict: a missing field is an error, not an empty string. */
export function render(name: string, context: object): string {
  const hbs = handlebars();
  if (!registered) {
    registerPartials();
    registered = true;
  }
  let template = compiled.get(name);
  if (!template) {
    template = hbs.compile(read(name), { noEscape: true, strict: true });
    compiled.set(name, template);
  }
  return template(context);
}
