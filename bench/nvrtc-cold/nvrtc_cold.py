#!/usr/bin/env python3
"""NVRTC cold compile of generated CUDA sources, timed through libnvrtc with ctypes (no Node.js).

Each run is a fresh process: it loads libnvrtc, then times nvrtcCompileProgram of one source (the
first compile in a process, as a new process's compile() pays it) and then the same compile again
(the process already warm). Configurations, 5 runs each:

  before           sources/before.cu (every entry point, as the source was) with the old options
  after            sources/after.cu with the options the library now passes for this NVRTC
  after-nosplit    sources/after.cu with the old options (the entry points cut, no --split-compile)
  after-ptxsplit   the library's options plus --ptxas-options=--split-compile=0 (a candidate)
  units-parallel   after.cu cut into one program per entry point, compiled on as many threads at
                   once (a candidate: several cubins)
  empty            a one-line kernel: NVRTC's fixed cost per program; with --minimal where it exists

It also checks that the options change no machine code: the .text section of every kernel in the
cubins of before, after, after-nosplit and after-ptxsplit, by hash.

  python3 bench/nvrtc-cold/nvrtc_cold.py [--arch sm_90] [--runs 5] [--out DIR] [--lib PATH]
"""
import argparse, ctypes, ctypes.util, glob, hashlib, json, os, re, struct, subprocess, sys, threading, time

HERE = os.path.dirname(os.path.abspath(__file__))
OLD_OPTIONS = ['-std=c++17', '--diag-suppress=177']


def find_library(explicit):
    if explicit:
        return explicit
    cands = [os.environ.get('DWCONV_JIT_NVRTC')]
    for home in [os.environ.get('CUDA_HOME'), '/usr/local/cuda']:
        if home:
            cands += sorted(glob.glob(os.path.join(home, 'lib64', 'libnvrtc.so*')), reverse=True)
            cands += sorted(glob.glob(os.path.join(home, 'targets/x86_64-linux/lib', 'libnvrtc.so*')), reverse=True)
    cands.append(ctypes.util.find_library('nvrtc'))
    for c in cands:
        if c and (os.path.exists(c) or not os.path.isabs(c)) and 'builtins' not in c and 'alt' not in c:
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
        """(seconds, cubin bytes or None, log)"""
        p = ctypes.c_void_p()
        assert self.lib.nvrtcCreateProgram(ctypes.byref(p), src, b'kernel.cu', 0, None, None) == 0
        arr = (ctypes.c_char_p * len(options))(*[o.encode() for o in options])
        t = time.perf_counter()
        status = self.lib.nvrtcCompileProgram(p, len(options), arr)
        dt = time.perf_counter() - t
        n = ctypes.c_size_t()
        self.lib.nvrtcGetProgramLogSize(p, ctypes.byref(n))
        log = ctypes.create_string_buffer(n.value)
        self.lib.nvrtcGetProgramLog(p, log)
        cubin = None
        if status == 0:
            self.lib.nvrtcGetCUBINSize(p, ctypes.byref(n))
            buf = ctypes.create_string_buffer(n.value)
            self.lib.nvrtcGetCUBIN(p, buf)
            cubin = buf.raw
        else:
            log = ctypes.create_string_buffer(self.lib.nvrtcGetErrorString(status) + b'\n' + log.value)
        self.lib.nvrtcDestroyProgram(ctypes.byref(p))
        return dt, cubin, log.value.decode(errors='replace')


def library_options(arch, version):
    """What src/compiler/compilers.ts nvrtcOptions passes for this NVRTC."""
    split = version[0] > 12 or (version[0] == 12 and version[1] >= 8)
    return [f'--gpu-architecture={arch}'] + OLD_OPTIONS + (['--split-compile=0'] if split else [])


def kernel_text(cubin):
    """{kernel: sha256 of its .text section} of an ELF cubin."""
    b = cubin
    shoff, = struct.unpack_from('<Q', b, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from('<HHH', b, 0x3a)
    hdr = [struct.unpack_from('<IIQQQQIIQQ', b, shoff + i * shentsize) for i in range(shnum)]
    strtab = hdr[shstrndx][4]
    out = {}
    for h in hdr:
        name = b[strtab + h[0]:b.index(b'\0', strtab + h[0])].decode()
        if name.startswith('.text.'):
            out[name[6:]] = hashlib.sha256(b[h[4]:h[4] + h[5]]).hexdigest()[:16]
    return out


def entry_units(src):
    """The source cut into one program per extern "C" entry point (the rest of the source kept)."""
    text = src.decode()
    names = re.findall(r'__global__ void __launch_bounds__\(THREADS\)\n(\w+)\(', text)
    units = []
    for keep in names:
        unit = text
        for other in names:
            if other == keep:
                continue
            if other.endswith('_direct'):  # the direct entry is its whole namespace
                unit = re.sub(r'// Direct kernel.*?\}  // namespace direct\n', '', unit, flags=re.S)
            else:
                unit = re.sub(r'extern "C" __global__ void __launch_bounds__\(THREADS\)\n%s\(.*?\n\}\n' % other, '', unit, flags=re.S)
        units.append((keep, unit.encode()))
    return units


def one_run(args):
    """Child: one fresh process, one configuration; prints a JSON line."""
    nv = Nvrtc(args.lib)
    opts = json.loads(args.options)
    if args.config == 'units-parallel':
        units = entry_units(open(args.source, 'rb').read())
        result = {}
        def go(src, i):
            result[i] = nv.compile(src, opts)
        def batch():
            t = time.perf_counter()
            th = [threading.Thread(target=go, args=(u, i)) for i, (_, u) in enumerate(units)]
            [x.start() for x in th]
            [x.join() for x in th]
            ok = all(result[i][1] is not None for i in range(len(units)))
            return time.perf_counter() - t, ok, [round(result[i][0] * 1000) for i in range(len(units))]
        cold, ok, each = batch()
        warm, _, _ = batch()
        print(json.dumps({'cold': cold, 'warm': warm, 'ok': ok, 'units': [n for n, _ in units], 'unit_ms': each}))
        return
    src = open(args.source, 'rb').read() if args.source != '-' else b'extern "C" __global__ void k(float* p) { p[0] = 1.f; }\n'
    cold, cubin, log = nv.compile(src, opts)
    warm, _, _ = nv.compile(src, opts)
    line = {'cold': cold, 'warm': warm, 'ok': cubin is not None}
    if cubin is None:
        line['log'] = log[:400]
    elif args.text:
        line['text'] = kernel_text(cubin)
    print(json.dumps(line))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--arch', default='sm_90')
    ap.add_argument('--runs', type=int, default=5)
    ap.add_argument('--out', default=os.environ.get('OUT', '.'))
    ap.add_argument('--lib')
    ap.add_argument('--budget', type=float, default=55.0, help='seconds; configurations past it are skipped')
    ap.add_argument('--child', action='store_true', help=argparse.SUPPRESS)
    ap.add_argument('--config', help=argparse.SUPPRESS)
    ap.add_argument('--source', help=argparse.SUPPRESS)
    ap.add_argument('--options', help=argparse.SUPPRESS)
    ap.add_argument('--text', action='store_true', help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.lib = find_library(args.lib)
    if args.child:
        return one_run(args)

    started = time.perf_counter()
    version = Nvrtc(args.lib).version
    before = os.path.join(HERE, 'sources', 'before.cu')
    after = os.path.join(HERE, 'sources', 'after.cu')
    old = [f'--gpu-architecture={args.arch}'] + OLD_OPTIONS
    lib_opts = library_options(args.arch, version)
    configs = [
        ('before', before, old),
        ('after', after, lib_opts),
        ('after-nosplit', after, old),
        ('after-ptxsplit', after, lib_opts + ['--ptxas-options=--split-compile=0']),
        ('units-parallel', after, lib_opts),
        ('empty', '-', old),
        ('empty-minimal', '-', old + ['--minimal']),
    ]
    print(f'libnvrtc {args.lib} (NVRTC {version[0]}.{version[1]}), {args.arch}, {os.cpu_count()} CPUs, {args.runs} runs each')
    print(f'library options here: {" ".join(lib_opts)}')
    report = {'nvrtc': f'{version[0]}.{version[1]}', 'lib': args.lib, 'arch': args.arch, 'cpus': os.cpu_count(), 'configs': {}}
    texts = {}
    for name, source, opts in configs:
        if time.perf_counter() - started > args.budget:
            print(f'{name:15s} skipped: past the {args.budget:.0f} s budget')
            continue
        runs = []
        for i in range(args.runs):
            cmd = [sys.executable, os.path.abspath(__file__), '--child', '--lib', args.lib, '--config', name, '--source', source, '--options', json.dumps(opts)]
            if i == 0 and name.startswith(('before', 'after')):
                cmd.append('--text')
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
            try:
                runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
            except (IndexError, ValueError):
                runs.append({'ok': False, 'log': (out.stderr or out.stdout)[-400:]})
            if not runs[-1].get('ok'):
                break
        ok = [r for r in runs if r.get('ok')]
        entry = {'options': opts, 'runs': runs}
        if ok:
            cold = sorted(r['cold'] for r in ok)
            warm = sorted(r['warm'] for r in ok)
            entry.update(cold_median_ms=round(cold[len(cold) // 2] * 1000), warm_median_ms=round(warm[len(warm) // 2] * 1000))
            if 'text' in ok[0]:
                texts[name] = ok[0]['text']
            extra = f"  per unit {ok[0]['unit_ms']} ms" if 'unit_ms' in ok[0] else ''
            print(f'{name:15s} cold median {entry["cold_median_ms"]:5d} ms  (runs {[round(c * 1000) for c in cold]})  warm median {entry["warm_median_ms"]:5d} ms{extra}')
        else:
            print(f'{name:15s} failed: {runs[-1].get("log", "").strip()[:300]}')
        report['configs'][name] = entry

    # The options and the cut entry point must leave every kernel's machine code as it was.
    same = {}
    base = texts.get('before', {})
    for name, t in texts.items():
        if name == 'before':
            continue
        same[name] = {k: (base.get(k) == h) for k, h in t.items()}
        changed = [k for k, v in same[name].items() if not v]
        dropped = sorted(set(base) - set(t))
        print(f'machine code {name:15s} vs before: {"identical" if not changed else "CHANGED " + str(changed)} for {len(t)} kernels; not in it: {[d.rsplit("_nchw_", 1)[-1] for d in dropped]}')
    report['sameMachineCode'] = same
    report['seconds'] = round(time.perf_counter() - started, 1)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, 'nvrtc-cold.json'), 'w') as f:
        json.dump(report, f, indent=1)
    print(f'done in {report["seconds"]} s; {os.path.join(args.out, "nvrtc-cold.json")}')


if __name__ == '__main__':
    main()
