#!/usr/bin/env python3
"""Instruction mix of each kernel's step loop (its longest backward branch) in a cubin.

    nvcc -arch=sm_90 -O3 -std=c++17 -DWL_ANALYZE=2 -DDT=f16 -DKS=3 -cubin lab_kernels.cu -o x.cubin
    NVDISASM=/path/to/nvdisasm python3 sass_loop.py x.cubin [NAME_FILTER]

Prints, per kernel, the loop's length and its instructions by class (FFMA, LDS, STS, LDG, LDGSTS,
STG, shuffles, barriers, conversions, integer and uniform ALU, branches, local memory). With
NVDISASM from CUDA 12.x or older (CUDA 13's cubins carry a new ELF header: OS ABI 0x41, ABI
version 8), a copy of the cubin gets the old header (0x33, 7, sm_90's flags); the code is
untouched. Counts are static: for a loop's path, build with -DWL_ANALYZE (ring2.cuh).
"""
import collections
import os
import re
import struct
import subprocess
import sys
import tempfile

CLASSES = [('FFMA', r'^FFMA'), ('FMUL/FADD', r'^F(MUL|ADD)'), ('LDS', r'^LDS'), ('STS', r'^STS'),
           ('LDG', r'^LDG(?!STS)'), ('LDGSTS', r'^LDGSTS'), ('STG', r'^STG'), ('LDL/STL', r'^(LDL|STL)'),
           ('SHFL', r'^SHFL'), ('BAR', r'^(BAR|WARPSYNC|DEPBAR|LDGDEPBAR)'), ('cvt', r'^(F2F|HADD2|F2FP|I2F|F2I)'),
           ('shift/lop/prmt', r'^(SHF|LOP3|LEA|PRMT|SGXT)'), ('branch', r'^(BRA|BSSY|BSYNC|EXIT|CALL|RET|NOP)')]


def classify(op):
    for name, rx in CLASSES:
        if re.match(rx, op):
            return name
    return 'int/uniform/other'


def disassemble(path):
    data = bytearray(open(path, 'rb').read())
    if data[:4] != b'\x7fELF':
        sys.exit(f'{path}: not a cubin (nvcc -cubin)')
    if data[7] == 0x41:  # CUDA 13's header: rewrite for older disassemblers
        data[7], data[8] = 0x33, 7
        struct.pack_into('<I', data, 0x30, 0x5a055a)
    with tempfile.NamedTemporaryFile(suffix='.cubin', delete=False) as tmp:
        tmp.write(data)
    try:
        return subprocess.run([os.environ.get('NVDISASM', 'nvdisasm'), '-c', tmp.name], capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(tmp.name)


def main():
    path = sys.argv[1]
    name_filter = sys.argv[2] if len(sys.argv) > 2 else ''
    parts = re.split(r'\n\s*//-+ \.text\.(\S+)\s+-+\n', disassemble(path))
    for i in range(1, len(parts), 2):
        name, body = parts[i], parts[i + 1]
        if name_filter not in name:
            continue
        ins, labels = [], {}
        for line in body.split('\n'):
            m = re.match(r'^(\.L_x_\d+):', line.strip())
            if m:
                labels[m.group(1)] = len(ins)
                continue
            m = re.match(r'^\s*/\*[0-9a-f]+\*/\s+(@!?U?P\w+\s+)?([A-Z][A-Z0-9_.]*)(.*);', line)
            if m:
                ins.append((m.group(2), m.group(0)))
        loops = []
        for j, (op, text) in enumerate(ins):
            m = re.search(r'`\((\.L_x_\d+)\)', text) if op.startswith('BRA') else None
            if m and m.group(1) in labels and labels[m.group(1)] <= j:
                loops.append((j - labels[m.group(1)] + 1, labels[m.group(1)], j))
        print(f'== {name}: {len(ins)} instructions')
        if loops:
            n, a, z = max(loops)
            mix = collections.Counter(classify(op) for op, _ in ins[a:z + 1])
            print(f'   step loop: {n} instructions: ' + ', '.join(f'{k} {v}' for k, v in mix.most_common()))


if __name__ == '__main__':
    main()
