import {
  targetTraits
} from "./chunk-HLZTAT3W.js";
import {
  CacheError
} from "./chunk-3MZWLH6H.js";

// dist/cache/library-check.js
var PT_LOAD = 1;
var PT_DYNAMIC = 2;
var DT = { NULL: 0, NEEDED: 1, STRTAB: 5, STRSZ: 10, RPATH: 15, RUNPATH: 29, INIT_ARRAYSZ: 27, PREINIT_ARRAYSZ: 33 };
var MAX_INITIALIZERS = { cxx: 1, nvcc: 2 };
var RUNTIME_LIBRARIES = /^(libc|libm|libdl|librt|libpthread|libgcc_s|libstdc\+\+|libgomp|libcudart|libomp|libc\+\+|libc\+\+abi|ld-linux-x86-64|ld-linux-aarch64)\.so(\.[0-9]+)*$/;
function initializerCount(bytes) {
  const dynamic = readDynamic(bytes);
  return typeof dynamic === "string" ? void 0 : dynamic.initializers;
}
function libraryProblem(bytes, expect) {
  const dynamic = readDynamic(bytes);
  return typeof dynamic === "string" ? dynamic : check(bytes, dynamic, expect);
}
function readDynamic(bytes) {
  try {
    return parseDynamic(bytes);
  } catch (err) {
    return `the artifact is not a readable ELF shared object (${err.message})`;
  }
}
function parseDynamic(b) {
  if (b.length < 64 || b.readUInt32BE(0) !== 2135247942)
    return "the artifact is not an ELF file";
  if (b[4] !== 2 || b[5] !== 1)
    return "the artifact is not a 64-bit little-endian ELF file";
  if (b.readUInt16LE(16) !== 3)
    return "the artifact is not a shared object";
  const phoff = Number(b.readBigUInt64LE(32));
  const phentsize = b.readUInt16LE(54);
  const phnum = b.readUInt16LE(56);
  if (phentsize < 56 || phoff + phnum * phentsize > b.length)
    return "the artifact has a truncated program header table";
  const loads = [];
  let dynamic;
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    const type = b.readUInt32LE(p);
    const offset = Number(b.readBigUInt64LE(p + 8));
    const vaddr = Number(b.readBigUInt64LE(p + 16));
    const filesz = Number(b.readBigUInt64LE(p + 32));
    if (type === PT_LOAD)
      loads.push({ vaddr, offset, filesz });
    if (type === PT_DYNAMIC) {
      if (dynamic)
        return "the artifact has two dynamic sections";
      dynamic = { offset, size: filesz };
    }
  }
  if (!dynamic || dynamic.offset + dynamic.size > b.length)
    return "the artifact has no readable dynamic section";
  const tags = [];
  for (let p = dynamic.offset; p + 16 <= dynamic.offset + dynamic.size; p += 16) {
    const tag = Number(b.readBigInt64LE(p));
    if (tag === DT.NULL)
      break;
    tags.push([tag, Number(b.readBigUInt64LE(p + 8))]);
  }
  const value = (tag) => tags.filter(([t]) => t === tag).map(([, v]) => v);
  const initializers = value(DT.INIT_ARRAYSZ).reduce((a, n) => a + n / 8, 0);
  const strtab = fileOffset(loads, value(DT.STRTAB)[0]);
  const strsz = value(DT.STRSZ)[0];
  const strings = strtab === void 0 || strsz === void 0 || strtab + strsz > b.length ? "the artifact has no readable dynamic string table" : b.subarray(strtab, strtab + strsz);
  return { tags, initializers, strings };
}
function check(b, d, expect) {
  const value = (tag) => d.tags.filter(([t]) => t === tag).map(([, v]) => v);
  if (value(DT.RPATH).length || value(DT.RUNPATH).length)
    return "the artifact sets a library search path (RPATH/RUNPATH)";
  if (value(DT.PREINIT_ARRAYSZ).some((n) => n > 0))
    return "the artifact has pre-initializers";
  const compiler = targetTraits(expect.target).libraryCompiler;
  const allowed = Math.max(MAX_INITIALIZERS[compiler] ?? 0, expect.maxInitializers ?? 0);
  if (d.initializers > allowed)
    return `the artifact has ${d.initializers} initializers (constructors), ${compiler} libraries have at most ${allowed}`;
  if (typeof d.strings === "string")
    return d.strings;
  const strings = d.strings;
  const stringAt = (at) => {
    const end = strings.indexOf(0, at);
    return strings.subarray(at, end < 0 ? strings.length : end).toString("latin1");
  };
  for (const at of value(DT.NEEDED)) {
    const name = stringAt(at);
    if (!RUNTIME_LIBRARIES.test(name))
      return `the artifact needs ${JSON.stringify(name)}, not one of the runtime libraries a kernel links`;
  }
  const names = new Set(strings.toString("latin1").split("\0"));
  if (!names.has(expect.symbol) || !names.has(`${expect.symbol}_info`))
    return `the artifact does not export ${expect.symbol} and ${expect.symbol}_info (another kernel's library?)`;
  if (b.indexOf(`"symbol":${JSON.stringify(expect.symbol)}`) < 0 || b.indexOf(`"spec":${expect.specJson}`) < 0) {
    return `the artifact's self-description is not that of ${expect.symbol} with this spec`;
  }
  return void 0;
}
function fileOffset(loads, vaddr) {
  if (vaddr === void 0)
    return void 0;
  const seg = loads.find((l) => vaddr >= l.vaddr && vaddr < l.vaddr + l.filesz);
  return seg ? seg.offset + (vaddr - seg.vaddr) : void 0;
}

// dist/cache/portable.js
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
async function putPortable(cache, p, expect) {
  const entry = await cache.put(p.meta.key, async (work) => {
    await writeFile(join(work, p.meta.files.source), p.source, { mode: 384 });
    await writeFile(join(work, p.meta.files.artifact), p.artifact, { mode: 384 });
    const { format: _f, key: _k, artifactBytes: _b, artifactSha256: _s, createdAt: _c, ...draft } = p.meta;
    return draft;
  }, expect);
  if (entry.meta.artifactSha256 !== p.meta.artifactSha256)
    throw new CacheError("an entry changed while it was written", entry.dir);
  return entry;
}

export {
  initializerCount,
  libraryProblem,
  putPortable
};
