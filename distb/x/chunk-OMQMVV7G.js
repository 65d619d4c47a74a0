import {
  defaultCacheDir
} from "./chunk-C5KQE6PT.js";
import {
  readHintFile,
  writeHintFile
} from "./chunk-2ZOB4GNT.js";
import {
  CACHE_FORMAT_VERSION,
  cacheKey,
  sha256
} from "./chunk-C5DDTWDA.js";
import {
  compilerEnvironment,
  compilerSearchPath,
  cxxFlags,
  environmentPart,
  nvccFlags,
  nvrtc,
  nvrtcOptions,
  nvrtcPeer,
  processPeer
} from "./chunk-R3WEWIUB.js";
import {
  PACKAGE_VERSION
} from "./chunk-X43GYYD5.js";
import {
  SpecError,
  ToolchainNotFoundError
} from "./chunk-3MZWLH6H.js";

// dist/cache/key-plan.js
import { resolve as resolve2 } from "node:path";

// dist/compiler/target-builds.js
import { cpus } from "node:os";

// dist/compiler/toolchain.js
import { accessSync, constants, realpathSync, statSync } from "node:fs";
import { delimiter, isAbsolute, join as join2, resolve } from "node:path";

// dist/compiler/fingerprint-store.js
import { join } from "node:path";
var FILE = ".toolchains.json";
var MAX_RECORDS = 64;
var MAX_FILE_BYTES = 1 << 20;
function readRecords(path) {
  const text = readHintFile(path, MAX_FILE_BYTES);
  if (text === void 0)
    return {};
  try {
    const parsed = JSON.parse(text);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
      return {};
    return Object.fromEntries(Object.entries(parsed).filter((e) => typeof e[1] === "string"));
  } catch {
    return {};
  }
}
function fingerprintStore(dir) {
  const path = join(dir, FILE);
  return {
    get: (identity) => Promise.resolve(readRecords(path)[identity]),
    all: () => Promise.resolve(readRecords(path)),
    put: async (identity, version) => {
      const records = { ...readRecords(path), [identity]: version };
      const kept = Object.fromEntries(Object.entries(records).slice(-MAX_RECORDS));
      await writeHintFile(path, JSON.stringify(kept));
    }
  };
}

// dist/compiler/toolchain.js
function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
function onPath(name, env) {
  return env.path.split(delimiter).filter((dir) => dir !== "" && isAbsolute(dir)).map((dir) => join2(dir, name));
}
function named(variable, program, env) {
  if (/\s/.test(program)) {
    throw new SpecError(variable, program, "one compiler executable (a path, or a name on PATH) without arguments; wrappers such as ccache are not run: set it to the compiler itself");
  }
  return isAbsolute(program) || program.includes("/") ? [resolve(program)] : onPath(program, env);
}
function nvccCandidates(env) {
  if (env.nvcc)
    return named("DWCONV_JIT_NVCC", env.nvcc, env);
  return [...env.cudaHome ? [join2(resolve(env.cudaHome), "bin", "nvcc")] : [], ...onPath("nvcc", env), "/usr/local/cuda/bin/nvcc"];
}
function cxxCandidates(env) {
  if (env.cxx)
    return named("CXX", env.cxx, env);
  return ["c++", "g++", "clang++"].flatMap((n) => onPath(n, env));
}
function binaryIdentity(path) {
  const real = realpathSync(path);
  const st = statSync(real);
  return `${real}|${st.dev}|${st.ino}|${st.size}|${st.mtimeMs}|${st.ctimeMs}`;
}
var found = /* @__PURE__ */ new Map();
async function versionOf(path, last) {
  const { execa } = await import("execa");
  const { stdout } = await execa(path, ["--version"], { timeout: 3e4, env: compilerEnvironment(path, "/"), extendEnv: false, cwd: "/" });
  const lines = stdout.split("\n").map((l) => l.trim()).filter(Boolean);
  return last ? lines.filter((l) => /release|Build/.test(l)).join(" ") || lines.join(" ") : lines[0] ?? "";
}
function hostCompilerOf(nvccPath) {
  return compilerSearchPath(nvccPath).split(":").map((d) => join2(d, "gcc")).find(isExecutable);
}
async function identify(kind, path) {
  let version = await versionOf(path, kind === "nvcc");
  if (kind === "nvcc") {
    const host = hostCompilerOf(path);
    version = `${version}; host ${host ? await versionOf(host, false) : "none"}`;
  }
  return { kind, path, version, environment: environmentPart(path) };
}
function find(kind, candidates, what, fix, storeDir) {
  const path = candidates.find(isExecutable);
  if (!path)
    return Promise.reject(new ToolchainNotFoundError(what, candidates, fix));
  let identity;
  try {
    identity = `${kind}|${binaryIdentity(path)}`;
  } catch (cause) {
    return Promise.reject(new ToolchainNotFoundError(what, [path], fix, { cause }));
  }
  let tool = found.get(identity);
  if (!tool) {
    tool = (async () => {
      const store = storeDir === void 0 ? void 0 : fingerprintStore(storeDir);
      const remembered = await store?.get(identity);
      if (remembered !== void 0)
        return { kind, path, version: remembered, environment: environmentPart(path) };
      const fresh = await identify(kind, path);
      await store?.put(identity, fresh.version);
      return fresh;
    })().catch((cause) => {
      found.delete(identity);
      throw new ToolchainNotFoundError(`a working ${kind}`, [path], `${path} --version failed; ${fix}`, { cause });
    });
    found.set(identity, tool);
  }
  return tool;
}
function findNvcc(env, storeDir) {
  const fix = env.nvcc ? "Unset DWCONV_JIT_NVCC to search CUDA_HOME, PATH and /usr/local/cuda, or set it to an executable nvcc." : "Install the CUDA toolkit, or set DWCONV_JIT_NVCC to nvcc or CUDA_HOME to the toolkit root.";
  return Promise.resolve().then(() => find("nvcc", nvccCandidates(env), env.nvcc ? `the nvcc named by DWCONV_JIT_NVCC (${env.nvcc})` : "nvcc", fix, storeDir));
}
function findCxx(env, storeDir) {
  const fix = env.cxx ? "Unset CXX to search c++, g++ and clang++ on PATH, or set CXX to an executable C++ compiler." : "Install g++ or clang++ (e.g. apt-get install g++), or set CXX.";
  return Promise.resolve().then(() => find("cxx", cxxCandidates(env), env.cxx ? `the C++ compiler named by CXX (${env.cxx})` : "a C++ compiler", fix, storeDir));
}

// dist/compiler/target-builds.js
function cpuIdentity() {
  return `${process.arch} ${cpus()[0]?.model ?? "unknown cpu"}`;
}
var BUILDS = {
  cuda: {
    needsArchs: true,
    nvrtc: true,
    findTool: findNvcc,
    flags: (archs, ptx) => nvccFlags([...archs], ptx),
    archPart: (archs, ptx) => [...archs, ...ptx ? ["ptx"] : []].join("+"),
    runsOn: (archs, deviceArch) => deviceArch ?? archs?.[0]
  },
  cpu: {
    needsArchs: false,
    nvrtc: false,
    findTool: findCxx,
    flags: () => cxxFlags(),
    archPart: () => cpuIdentity(),
    runsOn: () => cpuIdentity()
  }
};
function targetBuild(target) {
  return BUILDS[target];
}

// dist/cache/key-plan.js
async function plan(generated, opts) {
  const p = await keyPartsFor(generated, opts);
  return { ...p, key: cacheKey(p.parts) };
}
async function keyPartsFor(generated, opts) {
  const archs = opts.archs ?? [];
  const build = targetBuild(generated.target);
  if (build.needsArchs && archs.length === 0)
    throw new Error(`internal: the ${generated.target} target needs an arch`);
  const useNvrtc = build.nvrtc && opts.compiler === "nvrtc";
  if (useNvrtc && (archs.length !== 1 || opts.ptx))
    throw new SpecError("options.compiler", "nvrtc", "'nvcc' for several archs or PTX (an NVRTC build is a cubin for one arch)");
  const store = opts.cache === false ? void 0 : cacheRootOf(opts);
  let peer;
  let nvrtcVersion = "";
  if (useNvrtc) {
    const lib = nvrtc(opts.env);
    nvrtcVersion = lib.version;
    peer = nvrtcPeer(lib, { kind: "nvrtc", path: lib.path, version: `NVRTC ${lib.version}`, environment: "" });
  } else
    peer = processPeer(await build.findTool(opts.env, store));
  const tool = peer.fingerprint;
  const parts = {
    format: CACHE_FORMAT_VERSION,
    package: PACKAGE_VERSION,
    target: generated.target,
    sourceSha256: sourceShaOf(generated),
    compiler: { kind: tool.kind, version: tool.version, ...tool.environment ? { environment: tool.environment } : {} },
    flags: useNvrtc ? nvrtcOptions(archs[0], nvrtcVersion) : build.flags(archs, opts.ptx),
    arch: build.archPart(archs, opts.ptx)
  };
  return { tool, peer, parts };
}
function cacheRootOf(opts) {
  return opts.cacheDir === void 0 ? defaultCacheDir(opts.env) : resolve2(opts.cacheDir);
}
function sourceShaOf(generated) {
  return "sourceSha256" in generated ? generated.sourceSha256 : sha256(generated.source);
}

export {
  fingerprintStore,
  findNvcc,
  findCxx,
  cpuIdentity,
  targetBuild,
  plan,
  keyPartsFor,
  cacheRootOf,
  sourceShaOf
};
