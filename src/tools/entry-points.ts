// The tools' asynchronous functions as the public API offers them, each loading its module on its
// first call: importing the package loads the compile path only, so a program that never runs the
// demo, the bench, the doctor, cache maintenance or the remote-cache commands never pays for their
// modules (nor for what they import). Each has exactly the type of the function it forwards to.
import type * as BundleImport from './bundle-import.js';
import type * as Bench from './bench.js';
import type * as Bundle from '../cache/bundle.js';
import type * as CacheInspect from './cache-inspect.js';
import type * as Demo from './demo.js';
import type * as Doctor from './doctor.js';
import type * as Explain from './explain.js';
import type * as RemoteCache from './remote-cache.js';
import type * as Prune from '../cache/prune.js';
import type * as Tune from './tune.js';

const demo = () => import('./demo.js');
const bench = () => import('./bench.js');
const doctor = () => import('./doctor.js');
const explainModule = () => import('./explain.js');
const tune = () => import('./tune.js');
const inspect = () => import('./cache-inspect.js');
const prune = () => import('../cache/prune.js');
const bundle = () => import('../cache/bundle.js');
const bundleImport = () => import('./bundle-import.js');
const remote = () => import('./remote-cache.js');

export const runDemo: typeof Demo.runDemo = async (...args) => (await demo()).runDemo(...args);
export const runBench: typeof Bench.runBench = async (...args) => (await bench()).runBench(...args);
export const runDoctor: typeof Doctor.runDoctor = async (...args) => (await doctor()).runDoctor(...args);
export const explain: typeof Explain.explain = async (...args) => (await explainModule()).explain(...args);
export const compileTuned: typeof Tune.compileTuned = async (...args) => (await tune()).compileTuned(...args);

export const listEntries: typeof CacheInspect.listEntries = async (...args) => (await inspect()).listEntries(...args);
export const findEntry: typeof CacheInspect.findEntry = async (...args) => (await inspect()).findEntry(...args);
export const entrySource: typeof CacheInspect.entrySource = async (...args) => (await inspect()).entrySource(...args);
export const cacheStats: typeof CacheInspect.cacheStats = async (...args) => (await inspect()).cacheStats(...args);
export const verifyCache: typeof CacheInspect.verifyCache = async (...args) => (await inspect()).verifyCache(...args);
export const clearCache: typeof CacheInspect.clearCache = async (...args) => (await inspect()).clearCache(...args);

export const pruneCache: typeof Prune.pruneCache = async (...args) => (await prune()).pruneCache(...args);
export const bundleKey: typeof Bundle.bundleKey = async (...args) => (await bundle()).bundleKey(...args);
export const exportBundle: typeof Bundle.exportBundle = async (...args) => (await bundle()).exportBundle(...args);
export const importBundle: typeof BundleImport.importBundle = async (...args) => (await bundleImport()).importBundle(...args);

export const remoteCacheStats: typeof RemoteCache.remoteCacheStats = async (...args) => (await remote()).remoteCacheStats(...args);
export const remoteCacheList: typeof RemoteCache.remoteCacheList = async (...args) => (await remote()).remoteCacheList(...args);
export const remoteCacheVerify: typeof RemoteCache.remoteCacheVerify = async (...args) => (await remote()).remoteCacheVerify(...args);
export const remoteCachePrune: typeof RemoteCache.remoteCachePrune = async (...args) => (await remote()).remoteCachePrune(...args);
export const remoteCachePublish: typeof RemoteCache.remoteCachePublish = async (...args) => (await remote()).remoteCachePublish(...args);
