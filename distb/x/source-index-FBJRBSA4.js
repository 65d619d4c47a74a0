import {
  readHintFile,
  writeHintFile
} from "./chunk-2ZOB4GNT.js";
import "./chunk-A22IQ6JN.js";
import {
  sha256
} from "./chunk-C5DDTWDA.js";

// dist/cache/source-index.js
import { join as join2 } from "node:path";

// dist/cache/generator-identity.js
import { readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
var GENERATOR_MODULES = {
  cpu: ["backends/cpu", "codegen/common", "codegen/cpu", "codegen/epilogue", "codegen/templates", "errors", "spec", "version"],
  cuda: [
    "backends/cuda",
    "codegen/c-expr",
    "codegen/common",
    "codegen/cuda",
    "codegen/cuda-direct",
    "codegen/cuda-nhwc",
    "codegen/cuda-ring",
    "codegen/cuda-ring-any",
    "codegen/cuda-ring-nhwc",
    "codegen/cuda-separable",
    "codegen/cuda-tiled",
    "codegen/epilogue",
    "codegen/families",
    "codegen/family",
    "codegen/footprint",
    "codegen/host-launcher",
    "codegen/plan-prologue",
    "codegen/templates",
    "dtype",
    "errors",
    "plan/expr",
    "plan/plan",
    "spec",
    "version"
  ]
};
var TEMPLATE_FOLDER = { cpu: "cpu", cuda: "cuda" };
var here = fileURLToPath(import.meta.url);
var codeRoot = dirname(dirname(here));
var templatesRoot = join(dirname(codeRoot), "templates");
var extension = /\.[cm]?[jt]s$/.exec(here)?.[0] ?? ".js";
function codegenInputs(target) {
  const modules = GENERATOR_MODULES[target].map((m) => join(codeRoot, `${m}${extension}`));
  const dir = join(templatesRoot, TEMPLATE_FOLDER[target]);
  const templates = readdirSync(dir).filter((f) => f.endsWith(".hbs")).sort().map((f) => join(dir, f));
  return [...modules, ...templates, enginePackageJson()];
}
function enginePackageJson() {
  for (let dir = dirname(here); ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", "handlebars", "package.json");
    if (statSync(candidate, { throwIfNoEntry: false })?.isFile())
      return candidate;
    if (dirname(dir) === dir)
      return createRequire(import.meta.url).resolve("handlebars/package.json");
  }
}
function fileIdentity(path) {
  const st = statSync(path);
  return { identity: `${path}|${st.dev}|${st.ino}|${st.size}|${st.mtimeMs}|${st.ctimeMs}`, changedMs: Math.max(st.mtimeMs, st.ctimeMs) };
}
function codegenIdentity(packageVersion, target, inputs = codegenInputs) {
  try {
    const files = inputs(target).map(fileIdentity);
    return { identity: [packageVersion, target, ...files.map((f) => f.identity)].join("\n"), newestChangeMs: Math.max(...files.map((f) => f.changedMs)) };
  } catch {
    return void 0;
  }
}

// dist/cache/source-index.js
var FILE = ".sources.json";
var MAX_RECORDS = 512;
var MAX_GENERATORS = 4;
var MAX_FILE_BYTES = 1 << 20;
var RACY_MARGIN_MS = 100;
var SHA = /^[0-9a-f]{64}$/;
function recordKey(q) {
  return `${q.target}|${JSON.stringify(q.variant ?? null)}|${q.specJson}`;
}
function isVariant(v) {
  return typeof v === "object" && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === "string" || typeof x === "number");
}
function summaryOf(record, q) {
  if (typeof record !== "object" || record === null)
    return void 0;
  const r = record;
  if (typeof r.sourceSha256 !== "string" || !SHA.test(r.sourceSha256))
    return void 0;
  if (r.symbol !== q.symbol || r.specJson !== q.specJson)
    return void 0;
  if (r.language !== "c++")
    return void 0;
  if (!isVariant(r.variant))
    return void 0;
  return { target: q.target, symbol: r.symbol, language: r.language, specJson: r.specJson, variant: r.variant, sourceSha256: r.sourceSha256 };
}
function readIndex(path) {
  try {
    const text = readHintFile(path, MAX_FILE_BYTES);
    if (text === void 0)
      return { generators: [] };
    const parsed = JSON.parse(text);
    const generators = Array.isArray(parsed?.generators) ? parsed.generators : [];
    return {
      generators: generators.filter((g) => typeof g === "object" && g !== null && typeof g.identity === "string" && typeof g.sources === "object" && g.sources !== null && !Array.isArray(g.sources))
    };
  } catch {
    return { generators: [] };
  }
}
function withinLimit(generators) {
  const sizeOf = ([key, record]) => Buffer.byteLength(JSON.stringify(key)) + 1 + Buffer.byteLength(JSON.stringify(record)) + 1;
  const lists = generators.map((g) => Object.entries(g.sources));
  let total = Buffer.byteLength(JSON.stringify({ generators: generators.map((g) => ({ identity: g.identity, sources: {} })) }));
  for (const list of lists)
    for (const entry of list)
      total += sizeOf(entry);
  for (let g = 0; g < lists.length && total > MAX_FILE_BYTES; g++) {
    let drop = 0;
    for (; drop < lists[g].length && total > MAX_FILE_BYTES; drop++)
      total -= sizeOf(lists[g][drop]);
    lists[g] = lists[g].slice(drop);
  }
  const last = generators.length - 1;
  return { generators: generators.map((g, i) => ({ identity: g.identity, sources: Object.fromEntries(lists[i]) })).filter((g, i) => i === last || Object.keys(g.sources).length > 0) };
}
function sourceIndex(dir, packageVersion, generator = (target) => codegenIdentity(packageVersion, target)) {
  const path = join2(dir, FILE);
  const identities = /* @__PURE__ */ new Map();
  const identityOf = (target) => {
    if (!identities.has(target))
      identities.set(target, generator(target));
    return identities.get(target);
  };
  return {
    async get(q) {
      const id = identityOf(q.target);
      if (!id)
        return void 0;
      const mine = readIndex(path).generators.find((g) => g.identity === id.identity);
      return mine && Object.hasOwn(mine.sources, recordKey(q)) ? summaryOf(mine.sources[recordKey(q)], q) : void 0;
    },
    async put(q, generated) {
      const id = identityOf(q.target);
      if (!id || id.newestChangeMs > performance.timeOrigin - RACY_MARGIN_MS)
        return;
      if (generated.plan !== void 0 || generated.units !== void 0)
        return;
      const record = { sourceSha256: sha256(generated.source), symbol: generated.symbol, specJson: generated.specJson, language: generated.language, variant: generated.variant };
      if (record.symbol !== q.symbol || record.specJson !== q.specJson)
        return;
      const key = recordKey(q);
      const { generators } = readIndex(path);
      const others = generators.filter((g) => g.identity !== id.identity);
      const sources = { ...generators.find((g) => g.identity === id.identity)?.sources };
      delete sources[key];
      sources[key] = record;
      const kept = withinLimit([...others.slice(-(MAX_GENERATORS - 1)), { identity: id.identity, sources: Object.fromEntries(Object.entries(sources).slice(-MAX_RECORDS)) }]);
      await writeHintFile(path, JSON.stringify(kept));
    }
  };
}
export {
  sourceIndex
};
