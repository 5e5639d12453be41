"""The clock compiled kernels watch their deadline on: :func:`now`.

``time.perf_counter()`` in seconds, or +inf once a stop (Ctrl-C, SIGTERM) was requested,
so that a kernel watching its deadline returns at once and the stop is raised in Python
code (see :mod:`rural_plan.progress`).

On Linux, where ``perf_counter`` is ``clock_gettime(CLOCK_MONOTONIC)``, it is native code
that numba caches: it reads the clock and :mod:`rural_plan.progress`'s stop state (an
int32 array: stop requested, the read end of the signal wake-up pipe, SIGINT, SIGTERM)
through symbols registered with LLVM when this module is imported (their addresses
change from process to process; the cached code names them). A signal that arrives
while a kernel runs is not seen by Python until the kernel returns, but CPython writes
its number to the wake-up pipe at once: :func:`now` reads the pipe, and a SIGINT or
SIGTERM there is a stop. Elsewhere it is an ``objmode`` call of
:func:`rural_plan.progress.clock`, which numba compiles again in every process
(0.05-0.35 s on the first call).
"""

from __future__ import annotations

import ctypes
import sys
import time

import llvmlite.binding as llvm
import numba as nb
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from rural_plan import progress
from rural_plan.progress import clock

_CLOCK_MONOTONIC = 1  # <linux/time.h>
_SYMBOLS = ("rural_plan_stop_state", "rural_plan_clock_gettime", "rural_plan_read")

NATIVE = (
    sys.platform.startswith("linux")
    and time.get_clock_info("perf_counter").implementation == "clock_gettime(CLOCK_MONOTONIC)"
    and ctypes.sizeof(ctypes.c_long) == 8  # struct timespec: two 64-bit fields
)
"""Whether :func:`now` is native (cached) code rather than an ``objmode`` block."""


def _register() -> None:
    libc = ctypes.CDLL(None, use_errno=False)
    addresses = (
        progress.stop_state_address(),
        ctypes.cast(libc.clock_gettime, ctypes.c_void_p).value,
        ctypes.cast(libc.read, ctypes.c_void_p).value,
    )
    for name, address in zip(_SYMBOLS, addresses, strict=True):
        llvm.add_symbol(name, address)


def _declare_state(module: ir.Module) -> ir.GlobalVariable:
    state = module.globals.get(_SYMBOLS[0])
    if state is None:
        state = ir.GlobalVariable(module, ir.ArrayType(ir.IntType(32), 4), name=_SYMBOLS[0])
        state.linkage = "external"
    return state


@intrinsic
def _clock_or_inf(typingctx):
    """perf_counter's clock [s], or +inf once a stop is requested (or its signal came)."""
    i8, i32, i64, f64 = ir.IntType(8), ir.IntType(32), ir.IntType(64), ir.DoubleType()

    def codegen(context, builder, signature, args):
        module = builder.module
        timespec = ir.LiteralStructType([i64, i64])
        gettime = cgutils.get_or_insert_function(
            module, ir.FunctionType(i32, [i32, timespec.as_pointer()]), _SYMBOLS[1]
        )
        read = cgutils.get_or_insert_function(
            module, ir.FunctionType(i64, [i32, i8.as_pointer(), i64]), _SYMBOLS[2]
        )
        state = _declare_state(module)
        stop_ptr = cgutils.gep_inbounds(builder, state, 0, 0)
        fd = builder.load(cgutils.gep_inbounds(builder, state, 0, 1))
        with builder.if_then(builder.icmp_signed(">=", fd, i32(0)), likely=False):
            byte = cgutils.alloca_once(builder, i8)
            got = builder.call(read, [fd, byte, i64(1)])
            with builder.if_then(builder.icmp_signed("==", got, i64(1))):
                sig = builder.zext(builder.load(byte), i32)
                sigint = builder.load(cgutils.gep_inbounds(builder, state, 0, 2))
                sigterm = builder.load(cgutils.gep_inbounds(builder, state, 0, 3))
                is_stop = builder.or_(
                    builder.icmp_signed("==", sig, sigint), builder.icmp_signed("==", sig, sigterm)
                )
                with builder.if_then(is_stop):
                    builder.store_atomic(i32(1), stop_ptr, "monotonic", 4)
        ts = cgutils.alloca_once(builder, timespec)
        builder.call(gettime, [i32(_CLOCK_MONOTONIC), ts])
        sec = builder.load(cgutils.gep_inbounds(builder, ts, 0, 0))
        nsec = builder.load(cgutils.gep_inbounds(builder, ts, 0, 1))
        ns = builder.add(builder.mul(sec, i64(1_000_000_000)), nsec)
        t = builder.fdiv(builder.sitofp(ns, f64), f64(1e9))  # as perf_counter rounds it
        stopped = builder.icmp_signed("!=", builder.load_atomic(stop_ptr, "monotonic", 4), i32(0))
        return builder.select(stopped, f64(float("inf")), t)

    return types.float64(), codegen


if NATIVE:
    _register()

    @nb.njit(cache=True)
    def now():
        """``time.perf_counter()``, or +inf once a stop is requested: return at once."""
        return _clock_or_inf()

else:

    @nb.njit(cache=True)
    def now():
        """``time.perf_counter()``, or +inf once a stop is requested: return at once."""
        with nb.objmode(t="float64"):
            t = clock()
        return t
