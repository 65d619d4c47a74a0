// The public surface of dwconv-jit: re-exports only. The CLI (src/cli) imports from here and nowhere else.

// Compiling and running kernels
export { compile, build, COMPILERS, PACKAGE_CACHE_DIR, type CompileOptions, type CompilerChoice, type RemoteCacheOptions } from './compile.js';
export type { TuneOptions, TunedKernel } from './tools/tune.js';
export type { TuningRecord } from './cache/tuning-store.js';
export { Kernel, type ForwardOptions, type EpilogueTensors, type EpilogueArrays, type HostValues, type KernelProvenance } from './runtime/kernel.js';
export type { TargetDevice, LoadedArtifact } from './runtime/library.js';
export { Tensor, type TensorOptions, type DevicePointerOptions, type Device, type DeviceChoice } from './runtime/tensor.js';
export type { CudaDeviceChoice } from './device.js';
export type { Artifact } from './artifact.js';
export type { KeyParts } from './cache/key.js';
export type { EntryMeta } from './cache/disk-cache.js';

// Specs
export { normalizeSpec, canonicalJson, describeSpec, outputShape, weightShape, pointwiseWeightShape, specTag, DTYPES, LAYOUTS, LIMITS, ACTIVATIONS, RESIDUALS, MAX_POINTWISE_CHANNELS } from './spec.js';
export type { SpecInput, Pair, KernelSpec, DType, Layout, Activation, Residual, PointwiseInput, PointwiseSpec } from './spec.js';
export { foldBatchNorm, type BatchNormStats } from './batchnorm.js';
export { generate } from './codegen/generate.js';
export type { GeneratedSource, Target } from './codegen/common.js';
export type { LaunchPlan } from './plan/plan.js';
export { allVariants, type CudaVariant } from './codegen/variant.js';
export { reference, type ReferenceInputs } from './verify/reference.js';

// The machine: CUDA runtime, GPU probe, environment
export { cudaRuntime, probeGpu, listGpus, type CudaRuntime, type DeviceInfo, type GpuProbe, type GpuList, type Address } from './ffi/cudart.js';
export { readEnvironment, brokenOverrides, OVERRIDE_VARIABLES, type Environment } from './env.js';

// Errors
export { DwconvError, SpecError, DeviceMismatchError, NoGpuError, ToolchainNotFoundError, OverridePathError, CompileError, CudaError, CacheError, AbortError, ERROR_CODES, type ErrorCode } from './errors.js';

// Tools the CLI exposes: demo, bench, doctor, explain, precompile, cache maintenance. The asynchronous
// ones load their modules on first call (tools/entry-points.ts), so importing the package stays quick.
export {
  runDemo, runBench, runDoctor, explain, compileTuned, listEntries, findEntry, entrySource, cacheStats, verifyCache, clearCache,
  pruneCache, bundleKey, exportBundle, importBundle, remoteCacheStats, remoteCacheList, remoteCacheVerify, remoteCachePrune, remoteCachePublish,
} from './tools/entry-points.js';
export { printBench, listBenchCases } from './tools/bench-report.js';
export type { DemoOptions, DemoResult } from './tools/demo.js';
export type { BenchOptions, BenchResult, BenchRow, BenchGpu, BenchCaseSummary, VariantTiming } from './tools/bench.js';
export { BENCH_GROUPS, type BenchGroup } from './tools/bench-cases.js';
export { METRICS, METRIC_LABELS, formatMetric, type Metric, type Targets } from './tools/bench-targets.js';
export { writeBenchCharts, groupChartSvg, parseChartInput, chartsBeside, type ChartInput } from './tools/bench-chart.js';
export type { DoctorOptions, DoctorReport, Check as DoctorCheck } from './tools/doctor.js';
export type { ExplainOptions, Explanation } from './tools/explain.js';
export { precompile, expandManifest, type Manifest, type PrecompileJob, type PrecompileOptions, type PrecompileSummary, type JobResult } from './tools/precompile.js';
export type { Comparison, Mismatch } from './verify/compare.js';

// Cache maintenance
export { cacheRoot } from './tools/cache-root.js';
export type { EntryRow, CacheStats } from './tools/cache-inspect.js';
export { parseSize, parseDuration } from './cache/sizes.js';
export type { PruneOptions, PruneResult } from './cache/prune.js';
export type { ImportOptions, ImportResult } from './tools/bundle-import.js';
export type {
  RemoteCommandOptions, RemoteStats, RemoteEntryRow, RemoteVerifyReport, RemotePruneOptions, RemotePruneReport, RemotePublishReport,
} from './tools/remote-cache.js';
export type { RefusalReason } from './cache/remote/envelope.js';

export { PACKAGE_VERSION as VERSION } from './version.js';
