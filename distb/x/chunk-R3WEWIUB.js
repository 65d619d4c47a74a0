import {
  newestArch
} from "./chunk-X43GYYD5.js";
import {
  OVERRIDE_VARIABLES
} from "./chunk-CIU4BLIU.js";
import {
  throwIfAborted
} from "./chunk-UGFPPU7J.js";
import {
  AbortError,
  CacheError,
  CompileError,
  DwconvError,
  OverridePathError,
  ToolchainNotFoundError
} from "./chunk-3MZWLH6H.js";

// dist/ffi/koffi.js
import { createRequire } from "node:module";
var loaded;
function ffi() {
  loaded ??= createRequire(import.meta.url)("koffi");
  return loaded;
}
var ASYNC_STACK_BYTES = 16 << 20;
var configured = false;
function loadLibrary(path) {
  const koffi = ffi();
  if (!configured) {
    koffi.config({ ...koffi.config(), async_stack_size: ASYNC_STACK_BYTES });
    configured = true;
  }
  return koffi.load(path);
}
function ffiVersion() {
  return String(ffi().version ?? "?");
}

// dist/compiler/compilers.js
import { writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";

// dist/compiler/cubin-set.js
var MAGIC = "dwconv-jit cubins 1\n";
function packCubins(images) {
  const index = JSON.stringify(images.map((i) => ({ entries: i.entries, bytes: i.cubin.length })));
  return Buffer.concat([Buffer.from(`${MAGIC}${index}
`, "utf8"), ...images.map((i) => i.cubin)]);
}
function unpackCubins(bytes, path) {
  if (!bytes.subarray(0, MAGIC.length).equals(Buffer.from(MAGIC)))
    return [{ image: bytes }];
  const corrupt = (why) => new DwconvError(`cubin set ${path} is unreadable: ${why}`);
  const end = bytes.indexOf(10, MAGIC.length);
  if (end < 0)
    throw corrupt("no index");
  let index;
  try {
    index = JSON.parse(bytes.subarray(MAGIC.length, end).toString("utf8"));
  } catch {
    throw corrupt("its index is not JSON");
  }
  const valid = Array.isArray(index) && index.every((i) => Array.isArray(i?.entries) && i.entries.every((e) => typeof e === "string") && Number.isSafeInteger(i.bytes) && i.bytes > 0);
  if (!valid)
    throw corrupt("its index is malformed");
  let at = end + 1;
  if (at + index.reduce((n, i) => n + i.bytes, 0) !== bytes.length)
    throw corrupt("its cubins do not fill the file");
  return index.map((i) => {
    const image = bytes.subarray(at, at += i.bytes);
    return { entries: i.entries, image };
  });
}

// dist/compiler/child-env.js
import { dirname } from "node:path";
var SYSTEM_PATH = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];
function compilerSearchPath(compilerPath) {
  return [.../* @__PURE__ */ new Set([dirname(compilerPath), ...SYSTEM_PATH])].join(":");
}
var PASSED = ["HOME", "USER", "LOGNAME"];
function compilerEnvironment(compilerPath, workDir, from = process.env) {
  const env = { PATH: compilerSearchPath(compilerPath), TMPDIR: workDir, LC_ALL: "C", LANG: "C" };
  for (const name of PASSED) {
    const value = from[name];
    if (value !== void 0)
      env[name] = value;
  }
  return env;
}
function environmentPart(compilerPath) {
  return `PATH=${compilerSearchPath(compilerPath)}`;
}

// dist/compiler/process-tree.js
import { readdirSync, readFileSync } from "node:fs";
function childrenByParent() {
  const out = /* @__PURE__ */ new Map();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name))
      continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${name}/stat`, "utf8");
    } catch {
      continue;
    }
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (!Number.isSafeInteger(ppid))
      continue;
    const list = out.get(ppid) ?? [];
    list.push(Number(name));
    out.set(ppid, list);
  }
  return out;
}
function signal(pid, sig) {
  try {
    process.kill(pid, sig);
  } catch {
  }
}
function killTree(root) {
  const stopped = /* @__PURE__ */ new Set([root]);
  signal(root, "SIGSTOP");
  for (let pass = 0; pass < 50; pass++) {
    const children = childrenByParent();
    const fresh = [];
    const walk = (pid) => {
      for (const child of children.get(pid) ?? []) {
        if (!stopped.has(child))
          fresh.push(child);
        stopped.add(child);
        walk(child);
      }
    };
    walk(root);
    if (fresh.length === 0)
      break;
    for (const pid of fresh)
      signal(pid, "SIGSTOP");
  }
  for (const pid of stopped)
    signal(pid, "SIGKILL");
}

// dist/compiler/compilers.js
var SOURCE_NAME = { cuda: "kernel.cu", "c++": "kernel.cpp" };
var ARTIFACT_NAME = "kernel.so";
var CUBIN_NAME = "kernel.cubin";
function nvrtcOptions(arch, nvrtcVersion) {
  const [major = 0] = nvrtcVersion.split(".").map(Number);
  return [
    `--gpu-architecture=${arch}`,
    "-std=c++17",
    "--diag-suppress=177",
    ...splitCompiles(nvrtcVersion) ? ["--split-compile=0"] : [],
    // NVRTC 13 keeps its own cache of compiled programs on disk (~/.nv/ComputeCache): a miss there
    // cost 130-230 ms more than a compile without it, and our cache already holds every cubin.
    ...major >= 13 ? ["--no-cache"] : []
  ];
}
function splitCompiles(nvrtcVersion) {
  const [major = 0, minor = 0] = nvrtcVersion.split(".").map(Number);
  return major > 12 || major === 12 && minor >= 8;
}
async function compileNvrtc(compiler, source, options, workDir, units, signal2) {
  throwIfAborted(signal2, "compile");
  await writeFile(join(workDir, SOURCE_NAME.cuda), source, { mode: 384 });
  const artifactPath = join(workDir, CUBIN_NAME);
  const apart = units && compilesApart(compiler.version) ? units() : [];
  if (apart.length > 1) {
    const started = performance.now();
    const outs = await Promise.all(apart.map((u) => compiler.compile(u.source, options)));
    throwIfAborted(signal2, "compile");
    await writeFile(artifactPath, packCubins(outs.map((o, i) => ({ entries: apart[i].entries, cubin: o.cubin }))), { mode: 384 });
    return { artifactPath, log: outs.map((o) => o.log).filter(Boolean).join("\n"), milliseconds: performance.now() - started };
  }
  const out = await compiler.compile(source, options);
  throwIfAborted(signal2, "compile");
  await writeFile(artifactPath, out.cubin, { mode: 384 });
  return { artifactPath, log: out.log, milliseconds: out.milliseconds };
}
function compilesApart(nvrtcVersion) {
  const [major = 0, minor = 0] = nvrtcVersion.split(".").map(Number);
  return major > 12 || major === 12 && minor >= 3;
}
function nvccFlags(archs, ptx = false) {
  const gencode = archs.map((arch) => {
    const cc = arch.slice(3);
    return `-gencode=arch=compute_${cc},code=sm_${cc}`;
  });
  const newest = newestArch(archs);
  if (ptx && newest)
    gencode.push(`-gencode=arch=compute_${newest.slice(3)},code=compute_${newest.slice(3)}`);
  return ["-shared", "-Xcompiler", "-fPIC", "-O3", "-std=c++17", "-cudart", "shared", "-Xlinker", "-z,nodelete", ...gencode];
}
function cxxFlags() {
  return ["-shared", "-fPIC", "-O3", "-march=native", "-std=c++17", "-fopenmp", "-Wl,-z,nodelete"];
}
function processPeer(tool) {
  return { fingerprint: tool, compile: async (source, r) => ({ ...await compileSource(tool, r.language, source, r.flags, r.workDir, r.signal), fingerprint: tool }) };
}
function nvrtcPeer(compiler, tool) {
  return { fingerprint: tool, compile: async (source, r) => ({ ...await compileNvrtc(compiler, source, r.flags, r.workDir, r.units, r.signal), fingerprint: tool }) };
}
async function compileSource(tool, language, source, flags, workDir, signal2) {
  throwIfAborted(signal2, "compile");
  const dir = resolve(workDir);
  const sourcePath = join(dir, SOURCE_NAME[language]);
  const artifactPath = join(dir, ARTIFACT_NAME);
  await writeFile(sourcePath, source, { mode: 384 });
  const args = [...flags, "-o", artifactPath, sourcePath];
  const started = performance.now();
  const { execa } = await import("execa");
  throwIfAborted(signal2, "compile");
  const child = execa(tool.path, args, {
    reject: false,
    all: true,
    timeout: 6e5,
    cwd: dir,
    env: compilerEnvironment(tool.path, dir),
    extendEnv: false,
    // With a signal, the abort kills the tree (below). No cancelSignal: execa would kill the driver alone
    // first, and its children would go to init before the tree is found. No cleanup: its SIGINT handler
    // re-raises the signal when it sees no other listener, which ends the process before a caller's own
    // handler (the CLI's, which removes itself so that a second Ctrl-C ends at once) can abort.
    ...signal2 ? { cleanup: false } : {}
  });
  const killCompiler = () => {
    if (child.pid !== void 0)
      killTree(child.pid);
  };
  signal2?.addEventListener("abort", killCompiler, { once: true });
  const result = await child.finally(() => signal2?.removeEventListener("abort", killCompiler));
  const milliseconds = performance.now() - started;
  if (result.isCanceled || signal2?.aborted)
    throw new AbortError("compile", signal2?.reason);
  if (result.exitCode !== 0 || result.failed) {
    const log = result.all || result.message || `exit code ${result.exitCode}`;
    const storage = /No space left on device|Disk quota exceeded|File too large/i.exec(log);
    if (storage)
      throw new CacheError(`the compiler could not write its output: ${storage[0]}; free some space, or point DWCONV_JIT_CACHE_DIR at another disk`, dir);
    throw new CompileError(tool.path, args, log, source);
  }
  return { artifactPath, log: result.all ?? "", milliseconds };
}

// dist/ffi/nvrtc.js
import { join as join2 } from "node:path";
var SONAMES = ["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so"];
function nvrtcCandidates(env) {
  if (env.nvrtc)
    return [env.nvrtc];
  const dirs = [env.cudaHome, "/usr/local/cuda"].filter((d) => !!d).flatMap((d) => [join2(d, "lib64"), join2(d, "targets/x86_64-linux/lib")]);
  return [...dirs.flatMap((d) => SONAMES.map((n) => join2(d, n))), ...SONAMES];
}
var Nvrtc = class _Nvrtc {
  path;
  version;
  f;
  /** nvrtcGetNumSupportedArchs and nvrtcGetSupportedArchs (NVRTC 11.2+). */
  archCalls;
  constructor(path, version, lib) {
    this.path = path;
    this.version = version;
    const fn = (proto) => lib.func(proto);
    this.f = {
      create: fn("int nvrtcCreateProgram(_Out_ void** prog, const char* src, const char* name, int numHeaders, const char** headers, const char** includeNames)"),
      compile: fn("int nvrtcCompileProgram(void* prog, int numOptions, const char** options)"),
      logSize: fn("int nvrtcGetProgramLogSize(void* prog, _Out_ size_t* size)"),
      log: fn("int nvrtcGetProgramLog(void* prog, _Out_ uint8_t* log)"),
      cubinSize: fn("int nvrtcGetCUBINSize(void* prog, _Out_ size_t* size)"),
      cubin: fn("int nvrtcGetCUBIN(void* prog, _Out_ uint8_t* cubin)"),
      destroy: fn("int nvrtcDestroyProgram(_Inout_ void** prog)"),
      errorString: fn("const char* nvrtcGetErrorString(int result)")
    };
    try {
      this.archCalls = { num: fn("int nvrtcGetNumSupportedArchs(_Out_ int* n)"), list: fn("int nvrtcGetSupportedArchs(_Out_ int* archs)") };
    } catch {
      this.archCalls = void 0;
    }
  }
  static load(env) {
    const searched = nvrtcCandidates(env);
    let firstFailure;
    for (const path of searched) {
      try {
        const lib = loadLibrary(path);
        const major = [0];
        const minor = [0];
        if (lib.func("int nvrtcVersion(_Out_ int* major, _Out_ int* minor)")(major, minor) !== 0) {
          firstFailure ??= "nvrtcVersion failed";
          continue;
        }
        return new _Nvrtc(path, `${major[0]}.${minor[0]}`, lib);
      } catch (err) {
        firstFailure ??= err.message;
      }
    }
    if (env.nvrtc)
      throw new OverridePathError(OVERRIDE_VARIABLES.nvrtc, env.nvrtc, `does not load (${firstFailure ?? "unknown error"})`);
    throw new ToolchainNotFoundError("libnvrtc", searched, "install the CUDA toolkit (or just its NVRTC library) and set DWCONV_JIT_NVRTC or CUDA_HOME, or use compiler: 'nvcc'");
  }
  /** The real archs this NVRTC can emit cubins for ('sm_90'), when it can say. */
  supportedArchs() {
    const s = this.archCalls;
    if (!s)
      return void 0;
    const n = [0];
    if (s.num(n) !== 0)
      return void 0;
    const list = new Int32Array(n[0]);
    if (s.list(list) !== 0)
      return void 0;
    return [...list].map((a) => `sm_${a}`);
  }
  /**
   * Compiles `source` to a cubin for `options` (which name the arch) on koffi's worker thread, so the
   * event loop keeps running. A failure is a CompileError with NVRTC's log and the numbered source.
   */
  async compile(source, options) {
    const prog = [null];
    this.check("nvrtcCreateProgram", this.f.create(prog, source, "kernel.cu", 0, null, null));
    try {
      const started = performance.now();
      const status = await new Promise((resolve2, reject) => this.f.compile.async(prog[0], options.length, [...options], (err, r) => err ? reject(err) : resolve2(r)));
      const milliseconds = performance.now() - started;
      const log = this.log(prog[0]);
      if (status !== 0)
        throw new CompileError(`${this.path} (NVRTC ${this.version})`, [...options], `${this.errorString(status)}
${log}`, source);
      const size = [0n];
      this.check("nvrtcGetCUBINSize", this.f.cubinSize(prog[0], size));
      const cubin = Buffer.alloc(Number(size[0]));
      this.check("nvrtcGetCUBIN", this.f.cubin(prog[0], cubin));
      return { cubin, log, milliseconds };
    } finally {
      this.f.destroy(prog);
    }
  }
  log(prog) {
    const size = [0n];
    if (this.f.logSize(prog, size) !== 0)
      return "";
    const buf = Buffer.alloc(Number(size[0]));
    this.f.log(prog, buf);
    return buf.toString("utf8").replace(/\0+$/, "").trim();
  }
  errorString(status) {
    return `${this.f.errorString(status)} (${status})`;
  }
  check(call, status) {
    if (status !== 0)
      throw new CompileError(`${this.path} (NVRTC ${this.version})`, [call], this.errorString(status), "");
  }
};
var loaded2;
var notFound = /* @__PURE__ */ new Map();
function nvrtc(env) {
  if (loaded2)
    return loaded2;
  const search = nvrtcCandidates(env).join("\n");
  if (notFound.has(search))
    throw notFound.get(search);
  try {
    loaded2 = Nvrtc.load(env);
  } catch (err) {
    notFound.set(search, err);
    throw err;
  }
  return loaded2;
}
function probeNvrtc(env) {
  try {
    const n = nvrtc(env);
    return { ok: true, path: n.path, version: n.version };
  } catch (error) {
    return { ok: false, searched: nvrtcCandidates(env), error };
  }
}

export {
  ffi,
  loadLibrary,
  ffiVersion,
  unpackCubins,
  compilerSearchPath,
  compilerEnvironment,
  environmentPart,
  SOURCE_NAME,
  ARTIFACT_NAME,
  CUBIN_NAME,
  nvrtcOptions,
  nvccFlags,
  cxxFlags,
  processPeer,
  nvrtcPeer,
  nvrtc,
  probeNvrtc
};
