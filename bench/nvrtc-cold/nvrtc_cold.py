#!/usr/bin/env python3
"""NVRTC cold compile of the reference spec's CUDA source, before and after, through libnvrtc with
ctypes (no Node.js needed), the way the library calls it.

Each run is a fresh process that compiles a source NVRTC has never seen (one unused constant with
the run's number is prepended: NVRTC 13 keeps a disk cache of its own in ~/.nv/ComputeCache, which
would otherwise answer repeated runs in a fraction of the time). Configurations, 5 runs each:

  before       sources/before.cu (5 entry points) with the options the library passed before
  after        what the library does now for this NVRTC: from 12.3 the units gen/after.unit-*.cu
               compiled at once on as many threads, else gen/after.cu, with nvrtcOptions' options
  after-whole  gen/after.cu as one program with nvrtcOptions' options (what units add)
  empty        a one-line kernel: NVRTC's fixed cost per program
  unit-N       each program of the units alone (which one the compile waits for)
  all-but-last the units but the last at once (from 12.3): what the last one adds

Then it checks that every kernel's machine code (its .text section, by hash) is the same in the
before and after cubins.

  python3 bench/nvrtc-cold/nvrtc_cold.py [--arch sm_90] [--runs 5] [--out DIR] [--lib PATH]

gen/ (ignored by git) is this checkout's source, written where Node is and carried to the GPU machine:
  npx tsx bench/nvrtc-cold/write-source.ts bench/nvrtc-cold/gen/after
"""
import argparse, ctypes, ctypes.util, glob, hashlib, json, os, struct, subprocess, sys, threading, time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCES = os.path.join(HERE, 'sources')  # before.cu: the source of the commit before the change, kept
GENERATED = os.path.join(HERE, 'gen')  # after*.cu: this checkout's, by write-source.ts
OLD_OPTIONS = ['-std=c++17', '--diag-suppress=177']
EMPTY = b'extern "C" __global__ void k(float* p) { p[0] = 1.f; }\n'


def find_library(explicit):
    cands = [explicit, os.environ.get('DWCONV_JIT_NVRTC')]
    for home in [os.environ.get('CUDA_HOME'), '/usr/local/cuda']:
        if home:
            for sub in ['lib64', 'targets/x86_64-linux/lib']:
                cands += sorted(glob.glob(os.path.join(home, sub, 'libnvrtc.so*')), reverse=True)
    cands.append(ctypes.util.find_library('nvrtc'))
    for c in cands:
        if c and 'builtins' not in c and 'alt' not in c:
            try:
                ctypes.CDLL(c)
                return c
            except OSError:
                pass
    sys.exit('no libnvrtc found: pass --lib or set DWCONV_JIT_NVRTC')


class Nvrtc:
    def __init__(self, path):
        self.lib = ctypes.CDLL(path)
        ma, mi = ctypes.c_int(), ctypes.c_int()
        self.lib.nvrtcVersion(ctypes.byref(ma), ctypes.byref(mi))
        self.version = (ma.value, mi.value)
        self.lib.nvrtcGetErrorString.restype = ctypes.c_char_p

    def compile(self, src, options):
        """(cubin bytes, or None and the log)"""
        p = ctypes.c_void_p()
        assert self.lib.nvrtcCreateProgram(ctypes.byref(p), src, b'kernel.cu', 0, None, None) == 0
        arr = (ctypes.c_char_p * len(options))(*[o.encode() for o in options])
        status = self.lib.nvrtcCompileProgram(p, len(options), arr)
        n = ctypes.c_size_t()
        if status == 0:
            self.lib.nvrtcGetCUBINSize(p, ctypes.byref(n))
            buf = ctypes.create_string_buffer(n.value)
            self.lib.nvrtcGetCUBIN(p, buf)
            out = (buf.raw, '')
        else:
            self.lib.nvrtcGetProgramLogSize(p, ctypes.byref(n))
            log = ctypes.create_string_buffer(n.value)
            self.lib.nvrtcGetProgramLog(p, log)
            out = (None, (self.lib.nvrtcGetErrorString(status) + b'\n' + log.value).decode(errors='replace'))
        self.lib.nvrtcDestroyProgram(ctypes.byref(p))
        return out


def library_options(arch, v):
    """src/compiler/compilers.ts nvrtcOptions for NVRTC v = (major, minor)."""
    return [f'--gpu-architecture={arch}'] + OLD_OPTIONS + (['--split-compile=0'] if v >= (12, 8) else []) + (['--no-cache'] if v >= (13, 0) else [])


def compiles_apart(v):
    """src/compiler/compilers.ts compilesApart."""
    return v >= (12, 3)


def kernel_text(cubin):
    """{kernel: sha256 of its .text section} of an ELF cubin."""
    shoff, = struct.unpack_from('<Q', cubin, 0x28)
    size, count, names = struct.unpack_from('<HHH', cubin, 0x3a)
    hdr = [struct.unpack_from('<IIQQQQIIQQ', cubin, shoff + i * size) for i in range(count)]
    strtab = hdr[names][4]
    out = {}
    for h in hdr:
        name = cubin[strtab + h[0]:cubin.index(b'\0', strtab + h[0])].decode()
        if name.startswith('.text.'):
            out[name[6:]] = hashlib.sha256(cubin[h[4]:h[4] + h[5]]).hexdigest()[:16]
    return out


def child(args):
    """One fresh process: compile the sources (at once when several) and print a JSON line."""
    nv = Nvrtc(args.lib)
    opts = json.loads(args.options)
    tag = f'static constexpr int dwconv_bench_run_{args.run} = 0;\n'.encode()
    sources = [tag + (EMPTY if f == '-' else open(f, 'rb').read()) for f in args.sources.split(',')]
    results = [None] * len(sources)
    def go(i):
        results[i] = nv.compile(sources[i], opts)
    started = time.perf_counter()
    if len(sources) == 1:
        go(0)
    else:
        threads = [threading.Thread(target=go, args=(i,)) for i in range(len(sources))]
        [t.start() for t in threads]
        [t.join() for t in threads]
    seconds = time.perf_counter() - started
    failed = [log for cubin, log in results if cubin is None]
    line = {'ok': not failed, 'seconds': seconds}
    if failed:
        line['log'] = failed[0][:400]
    elif args.text:
        line['text'] = {k: h for cubin, _ in results for k, h in kernel_text(cubin).items()}
    print(json.dumps(line))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--arch', default='sm_90')
    ap.add_argument('--runs', type=int, default=5)
    ap.add_argument('--out', default=os.environ.get('OUT', '.'))
    ap.add_argument('--lib')
    for hidden in ['--sources', '--options', '--run']:
        ap.add_argument(hidden, help=argparse.SUPPRESS)
    ap.add_argument('--child', action='store_true', help=argparse.SUPPRESS)
    ap.add_argument('--text', action='store_true', help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.lib = find_library(args.lib)
    if args.child:
        return child(args)

    started = time.perf_counter()
    v = Nvrtc(args.lib).version
    gen = lambda name: os.path.join(GENERATED, name)
    if not os.path.exists(gen('after.cu')):
        sys.exit('bench/nvrtc-cold/gen/after.cu is missing: run `npx tsx bench/nvrtc-cold/write-source.ts bench/nvrtc-cold/gen/after` where Node is, and carry bench/nvrtc-cold/gen')
    units = sorted(glob.glob(gen('after.unit-*.cu')))
    old = [f'--gpu-architecture={args.arch}'] + OLD_OPTIONS
    now = library_options(args.arch, v)
    configs = [
        ('before', [os.path.join(SOURCES, 'before.cu')], old),
        ('after', units if compiles_apart(v) else [gen('after.cu')], now),
        ('after-whole', [gen('after.cu')], now),
        ('empty', ['-'], old),
    ]
    # Each program alone, and all but the last (the slowest one's share of the wait).
    configs += [(f'unit-{i}', [u], now) for i, u in enumerate(units)]
    if compiles_apart(v) and len(units) > 1:
        configs.append(('all-but-last', units[:-1], now))
    print(f'libnvrtc {args.lib} (NVRTC {v[0]}.{v[1]}), {args.arch}, {os.cpu_count()} CPUs, {args.runs} fresh processes each')
    print(f'options now: {" ".join(now)}; units compiled apart: {"yes, " + str(len(units)) if compiles_apart(v) else "no"}')
    report = {'nvrtc': f'{v[0]}.{v[1]}', 'lib': args.lib, 'arch': args.arch, 'cpus': os.cpu_count(), 'configs': {}}
    texts = {}
    for name, files, opts in configs:
        runs = []
        for i in range(args.runs):
            cmd = [sys.executable, os.path.abspath(__file__), '--child', '--lib', args.lib, '--sources', ','.join(files),
                   '--options', json.dumps(opts), '--run', f'{os.getpid()}_{name.replace("-", "_")}_{i}']
            if i == 0 and name != 'empty':
                cmd.append('--text')
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
            try:
                runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
            except (IndexError, ValueError):
                runs.append({'ok': False, 'log': (out.stderr or out.stdout)[-400:]})
            if not runs[-1]['ok']:
                break
        entry = {'sources': [os.path.basename(f) for f in files], 'options': opts, 'runs': runs}
        if all(r['ok'] for r in runs):
            ms = sorted(round(r['seconds'] * 1000) for r in runs)
            entry['median_ms'] = ms[len(ms) // 2]
            texts[name] = runs[0].get('text')
            print(f'{name:12s} median {entry["median_ms"]:5d} ms   runs {ms}')
        else:
            print(f'{name:12s} FAILED: {runs[-1].get("log", "").strip()[:300]}')
        report['configs'][name] = entry

    # What the change may not alter: the machine code of every kernel both builds hold.
    base = texts.get('before') or {}
    for name in ['after', 'after-whole']:
        t = texts.get(name)
        if not t:
            continue
        changed = [k for k, h in t.items() if base.get(k) != h]
        gone = [k.rsplit('_', 3)[-3:] for k in sorted(set(base) - set(t))]
        print(f'machine code, {name} vs before: {"identical" if not changed else "CHANGED: " + ", ".join(changed)} ({len(t)} kernels; only before: {gone})')
        report.setdefault('changedKernels', {})[name] = changed
    report['seconds'] = round(time.perf_counter() - started, 1)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, 'nvrtc-cold.json'), 'w') as f:
        json.dump(report, f, indent=1)
    print(f'done in {report["seconds"]} s: {os.path.join(args.out, "nvrtc-cold.json")}')


if __name__ == '__main__':
    main()
