import {
  OverridePathError
} from "./chunk-3MZWLH6H.js";

// dist/env.js
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";
function readEnvironment(env = process.env) {
  const nonEmpty = (v) => v === void 0 || v === "" ? void 0 : v;
  return {
    cacheDir: nonEmpty(env.DWCONV_JIT_CACHE_DIR),
    nvcc: nonEmpty(env.DWCONV_JIT_NVCC),
    cudaHome: nonEmpty(env.CUDA_HOME) ?? nonEmpty(env.CUDA_PATH),
    cudart: nonEmpty(env.DWCONV_JIT_CUDART),
    cxx: nonEmpty(env.CXX),
    path: env.PATH ?? "",
    target: nonEmpty(env.DWCONV_JIT_TARGET),
    cacheMaxSize: nonEmpty(env.DWCONV_JIT_CACHE_MAX_SIZE),
    lockTimeout: nonEmpty(env.DWCONV_JIT_LOCK_TIMEOUT),
    precompiled: (env.DWCONV_JIT_PRECOMPILED ?? "").split(delimiter).filter(Boolean),
    nvrtc: nonEmpty(env.DWCONV_JIT_NVRTC),
    compiler: nonEmpty(env.DWCONV_JIT_COMPILER),
    bundleKey: nonEmpty(env.DWCONV_JIT_BUNDLE_KEY),
    remoteCache: nonEmpty(env.DWCONV_JIT_REMOTE_CACHE),
    remoteKey: nonEmpty(env.DWCONV_JIT_REMOTE_KEY),
    remoteKeyFile: nonEmpty(env.DWCONV_JIT_REMOTE_KEY_FILE),
    cudaVisibleDevices: env.CUDA_VISIBLE_DEVICES
  };
}
var OVERRIDE_VARIABLES = { nvcc: "DWCONV_JIT_NVCC", cxx: "CXX", cudart: "DWCONV_JIT_CUDART", nvrtc: "DWCONV_JIT_NVRTC" };
var PROGRAMS = ["nvcc", "cxx"];
var LIBRARIES = ["cudart", "nvrtc"];
function problemWithFile(path, executable) {
  try {
    if (!statSync(path).isFile())
      return "is not a file";
    if (executable)
      accessSync(path, constants.X_OK);
    return void 0;
  } catch (err) {
    return err.code === "ENOENT" ? "does not exist" : executable ? "is not an executable file" : "cannot be read";
  }
}
function brokenOverrides(env) {
  const broken = [];
  for (const tool of [...PROGRAMS, ...LIBRARIES]) {
    const value = env[tool];
    if (value === void 0)
      continue;
    const program = PROGRAMS.includes(tool);
    if (isAbsolute(value) || value.includes("/")) {
      const problem = problemWithFile(value, program);
      if (problem)
        broken.push(new OverridePathError(OVERRIDE_VARIABLES[tool], value, problem));
    } else if (program && !env.path.split(delimiter).filter(Boolean).some((dir) => problemWithFile(join(dir, value), true) === void 0)) {
      broken.push(new OverridePathError(OVERRIDE_VARIABLES[tool], value, "is not a program on PATH"));
    }
  }
  return broken;
}
function checkOverrides(env) {
  const [first] = brokenOverrides(env);
  if (first)
    throw first;
}

export {
  readEnvironment,
  OVERRIDE_VARIABLES,
  brokenOverrides,
  checkOverrides
};
