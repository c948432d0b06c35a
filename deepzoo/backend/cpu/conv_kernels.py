"""numba kernels for convolution and pooling on channels-last images.

Same meaning as the NumPy versions in :mod:`deepzoo.backend.reference.conv` (read those
first). The general kernels walk the output positions once, with the innermost
loop over channels, which are contiguous in memory. Images with few channels
get their own kernels (``im2col_runs``, ``col2im_runs``, ``max_pool_rows``,
``max_pool_few_channels`` and the direct convolution on planes): there a channel
loop is too short to vectorise. ``benchmarks/kernel_notes.py`` times each against
the general one on both sides of the limit where
:class:`~deepzoo.backend.cpu.ops.NumbaCPUOps` switches. Stride-1 3x3 convolutions
with many channels use Winograd's transforms instead of im2col (the last part of
the file; ``benchmarks/profile_layers.py`` times them).

Each kernel is single-threaded and releases the GIL (``nogil``):
:class:`~deepzoo.backend.cpu.ops.NumbaCPUOps` runs it on pieces of the batch
in several threads at once (:mod:`deepzoo.backend.cpu.threads` says why not with
``prange``).
"""

import numpy as np
from numba import njit

from .jit import CACHE, recover_from_bad_cache_files

_opts = {"cache": CACHE, "error_model": "numpy", "nogil": True}


@njit(**_opts)
def im2col(xp, kh, kw, sh, sw, dh, dw, oh, ow, cols):
    """Rows of receptive fields from an already padded input ``xp`` (no bounds checks)."""
    n, _, _, c = xp.shape
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                row = (b * oh + i) * ow + j
                for p in range(kh):
                    ih = i * sh + p * dh
                    for q in range(kw):
                        iw = j * sw + q * dw
                        base = (p * kw + q) * c
                        for ch in range(c):
                            cols[row, base + ch] = xp[b, ih, iw, ch]


@njit(**_opts)
def im2col_runs(xp, kh, kw, sh, sw, dh, oh, ow, cols):
    """:func:`im2col` without dilation along the width, for images with few channels.

    Then the ``kw`` taps of one kernel row, with all their channels, are one
    contiguous run of ``kw * c`` values in both ``xp`` and ``cols``: each is copied
    as one loop over slices, which numba vectorises. (With many channels the plain
    loop nest is faster: ``benchmarks/kernel_notes.py``.)
    """
    n, hp, wp, c = xp.shape
    run = kw * c
    for b in range(n):
        for i in range(oh):
            for p in range(kh):
                line = xp[b, i * sh + p * dh].reshape(wp * c)
                for j in range(ow):
                    src = line[j * sw * c:j * sw * c + run]
                    dst = cols[(b * oh + i) * ow + j, p * run:(p + 1) * run]
                    for t in range(run):
                        dst[t] = src[t]


@njit(**_opts)
def col2im(cols, kh, kw, sh, sw, dh, dw, oh, ow, dxp):
    """Add each row back onto the padded gradient ``dxp`` (which must start at zero)."""
    n, _, _, c = dxp.shape
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                row = (b * oh + i) * ow + j
                for p in range(kh):
                    ih = i * sh + p * dh
                    for q in range(kw):
                        iw = j * sw + q * dw
                        base = (p * kw + q) * c
                        for ch in range(c):
                            dxp[b, ih, iw, ch] += cols[row, base + ch]


@njit(**_opts)
def col2im_runs(cols, kh, kw, sh, sw, dh, oh, ow, dxp):
    """:func:`col2im` in the runs of :func:`im2col_runs` (``dxp`` must start at zero)."""
    n, hp, wp, c = dxp.shape
    run = kw * c
    for b in range(n):
        for i in range(oh):
            for p in range(kh):
                line = dxp[b, i * sh + p * dh].reshape(wp * c)
                for j in range(ow):
                    dst = line[j * sw * c:j * sw * c + run]
                    src = cols[(b * oh + i) * ow + j, p * run:(p + 1) * run]
                    for t in range(run):
                        dst[t] += src[t]


@njit(**_opts)
def max_pool(x, ph, pw, sh, sw, top, left, y, which, argmax):
    """``y`` = window maxima; ``which`` = index ``p * pw + q`` of the winning tap.

    The channel loops run over one pixel's channel vector (a slice), which keeps
    their indices non-negative: numba then drops its negative-index checks. The
    winners are tracked whatever ``argmax`` says (the caller ignores ``which``
    then): one loop with a select compiles in half the time of two loops, and
    inference, the only caller that does not need them, loses little.
    """
    n, h, w, c = x.shape
    oh, ow = y.shape[1], y.shape[2]
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                out, won = y[b, i, j], which[b, i, j]
                first = True
                for p in range(ph):
                    ih = i * sh - top + p
                    if ih < 0 or ih >= h:
                        continue
                    for q in range(pw):
                        iw = j * sw - left + q
                        if iw < 0 or iw >= w:
                            continue
                        tap, pixel = np.int32(p * pw + q), x[b, ih, iw]
                        if first:
                            for ch in range(c):
                                out[ch] = pixel[ch]
                                won[ch] = tap
                            first = False
                        else:
                            for ch in range(c):
                                better = pixel[ch] > out[ch]
                                out[ch] = pixel[ch] if better else out[ch]
                                won[ch] = tap if better else won[ch]


@njit(**_opts)
def max_pool_few_channels(x, ph, pw, sh, sw, top, left, y, which, argmax):
    """:func:`max_pool` for images with fewer channels than a vector register holds,
    when windows may reach into the padding (:func:`max_pool_rows` serves the rest).

    A channel loop of 6 does not fill an 8-lane vector, and running it once per
    tap sends the running maxima through memory every time. Here the taps are
    the innermost loop and each maximum stays in a register
    (``benchmarks/kernel_notes.py`` times the three max-pooling kernels).
    """
    n, h, w, c = x.shape
    oh, ow = y.shape[1], y.shape[2]
    for b in range(n):
        image = x[b]
        for i in range(oh):
            top_i = i * sh - top
            i0, i1 = max(top_i, 0), min(top_i + ph, h)
            out, won = y[b, i], which[b, i]
            for j in range(ow):
                left_j = j * sw - left
                j0, j1 = max(left_j, 0), min(left_j + pw, w)
                out_j, won_j = out[j], won[j]
                for ch in range(c):
                    best, tap = image[i0, j0, ch], (i0 - top_i) * pw + j0 - left_j
                    if not argmax:
                        for ih in range(i0, i1):
                            for iw in range(j0, j1):
                                best = max(best, image[ih, iw, ch])
                        out_j[ch] = best
                        continue
                    for ih in range(i0, i1):
                        for iw in range(j0, j1):
                            if image[ih, iw, ch] > best:
                                best, tap = image[ih, iw, ch], (ih - top_i) * pw + iw - left_j
                    out_j[ch] = best
                    won_j[ch] = tap


@njit(**_opts)
def max_pool_rows(x, ph, pw, sh, sw, y, which, argmax):
    """:func:`max_pool` without padding, one output row at a time, for few channels.

    With channels last, the window starting at column ``j * sw`` reads, at tap
    ``(p, q)``, the values ``q * c`` further along input row ``i * sh + p`` than
    tap ``(p, 0)`` does. So for every column at once (strided or not) each tap is
    one shifted run of the row: ``ph * pw`` long vector loops over a row buffer,
    then one copy of every ``sw``-th column out of it. Taps are visited in row-major
    order and only a strictly larger value wins, as in :func:`max_pool`. The
    winners are tracked even when ``argmax`` is false: a select in a loop that
    vectorises costs less than a second version of the loop (and its compilation).
    """
    n, h, w, c = x.shape
    oh, ow = y.shape[1], y.shape[2]
    span = ((ow - 1) * sw + 1) * c  # every window start from the first to the last
    best = np.empty(span, dtype=x.dtype)
    won = np.empty(span, dtype=np.int32)
    for b in range(n):
        for i in range(oh):
            for p in range(ph):
                line = x[b, i * sh + p].reshape(w * c)
                for q in range(pw):
                    run, tap = line[q * c:q * c + span], np.int32(p * pw + q)
                    if p == 0 and q == 0:
                        for t in range(span):
                            best[t] = run[t]
                            won[t] = 0
                    else:
                        for t in range(span):
                            better = run[t] > best[t]
                            best[t] = run[t] if better else best[t]
                            won[t] = tap if better else won[t]
            out, out_won = y[b, i], which[b, i]
            for j in range(ow):
                start = j * sw * c
                for ch in range(c):
                    out[j, ch] = best[start + ch]
                if argmax:
                    for ch in range(c):
                        out_won[j, ch] = won[start + ch]


@njit(**_opts)
def max_pool_backward(dy, which, ph, pw, sh, sw, top, left, tiled, dx):
    """Route each gradient to the pixel that won its window.

    With ``tiled`` (windows that neither overlap nor leave pixels out) every pixel
    of ``dx`` is written exactly once, so ``dx`` may start uninitialised; otherwise
    it must start at zero and overlapping windows add up.
    """
    n, oh, ow, c = dy.shape
    h, w = dx.shape[1], dx.shape[2]
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                grad, won = dy[b, i, j], which[b, i, j]
                for p in range(ph):
                    ih = i * sh - top + p
                    if ih < 0 or ih >= h:
                        continue
                    for q in range(pw):
                        iw = j * sw - left + q
                        if iw < 0 or iw >= w:
                            continue
                        tap, pixel = p * pw + q, dx[b, ih, iw]
                        if tiled:
                            for ch in range(c):
                                pixel[ch] = grad[ch] if won[ch] == tap else grad[ch] * 0
                        else:
                            for ch in range(c):
                                if won[ch] == tap:
                                    pixel[ch] += grad[ch]


@njit(**_opts)
def avg_pool(x, ph, pw, sh, sw, top, left, y, backward):
    """Window means over in-image pixels; with ``backward`` it spreads ``y`` into ``x``."""
    n, h, w, c = x.shape
    oh, ow = y.shape[1], y.shape[2]
    for b in range(n):
        for i in range(oh):
            i0, i1 = max(i * sh - top, 0), min(i * sh - top + ph, h)
            for j in range(ow):
                j0, j1 = max(j * sw - left, 0), min(j * sw - left + pw, w)
                count = (i1 - i0) * (j1 - j0)
                for ch in range(c):
                    if backward:
                        share = y[b, i, j, ch] / count
                        for ih in range(i0, i1):
                            for iw in range(j0, j1):
                                x[b, ih, iw, ch] += share
                    else:
                        total = x[b, i0, j0, ch] * 0
                        for ih in range(i0, i1):
                            for iw in range(j0, j1):
                                total += x[b, ih, iw, ch]
                        y[b, i, j, ch] = total / count


# ------------------------------------------------------ direct, stride 1
# For thin convolutions (few channels in and out, stride 1) one matrix product
# with 6 or 16 columns keeps BLAS far from its rate, and the columns cost more to
# build than the product. These kernels work on *planes* instead: the padded
# input of shape (N, C, HP * WP), one row-major plane per channel. With stride 1,
# output (i, j) at tap (p, q) reads plane position (i + p * dh) * WP + j + q * dw,
# so for a fixed tap the whole output plane reads one contiguous run of the input
# plane, shifted by p * dh * WP + q * dw (``shifts``, from the caller). Running over that run position t, with
# output (i, j) at t = i * WP + j, turns each tap into one long vector loop. The
# WP - OW positions at the end of each row are not outputs: they are computed
# and dropped (the forward), or given a zero gradient (the backwards).
# Slices of the planes keep the loop indices non-negative, so numba drops its
# negative-index checks and the loops vectorise.
#
# Each tap's loop adds into a plane of sums that lives in memory (L1), not in a
# register, so the loops below take four taps (or four filters) per pass over
# it: one load and one store of the sums serve four multiply-adds. The forward
# and the kernel gradient also take two filters per pass over the four input
# runs, so that each value loaded serves twice as many (LeNet-5's first layer, 32
# images on one thread: forward 205-210 -> 157-161 us, kernel gradient 160-161 ->
# 110-111 us; ``benchmarks/kernel_notes.py`` part 9, two runs).


@njit(**_opts)
def conv_planes(planes, kernel, shifts, wp, oh, ow, bias, relu, z):
    """``z`` (N * OH * OW, F) = the convolution of ``planes`` with ``kernel`` (KH, KW, C, F),
    plus ``bias``, then ``max(0, .)`` when ``relu`` is true."""
    n, c, _ = planes.shape
    kh, kw, _, f = kernel.shape
    taps, span = kh * kw, (oh - 1) * wp + ow
    weights = kernel.reshape(taps, c, f)
    acc = np.empty((f, span), dtype=planes.dtype)
    zero = planes.dtype.type(0)
    for b in range(n):
        acc[:] = 0
        for ch in range(c):
            plane = planes[b, ch]
            for a in range(0, taps - 3, 4):
                r0 = plane[shifts[a]:shifts[a] + span]
                r1 = plane[shifts[a + 1]:shifts[a + 1] + span]
                r2 = plane[shifts[a + 2]:shifts[a + 2] + span]
                r3 = plane[shifts[a + 3]:shifts[a + 3] + span]
                for o in range(0, f - 1, 2):  # two filters per pass over the four runs
                    out, out2 = acc[o], acc[o + 1]
                    w0, w1, w2, w3 = weights[a, ch, o], weights[a + 1, ch, o], \
                        weights[a + 2, ch, o], weights[a + 3, ch, o]
                    v0, v1, v2, v3 = weights[a, ch, o + 1], weights[a + 1, ch, o + 1], \
                        weights[a + 2, ch, o + 1], weights[a + 3, ch, o + 1]
                    for t in range(span):
                        x0, x1, x2, x3 = r0[t], r1[t], r2[t], r3[t]
                        out[t] += x0 * w0 + x1 * w1 + x2 * w2 + x3 * w3
                        out2[t] += x0 * v0 + x1 * v1 + x2 * v2 + x3 * v3
                for o in range(f - f % 2, f):
                    out = acc[o]
                    w0, w1, w2, w3 = weights[a, ch, o], weights[a + 1, ch, o], \
                        weights[a + 2, ch, o], weights[a + 3, ch, o]
                    for t in range(span):
                        out[t] += r0[t] * w0 + r1[t] * w1 + r2[t] * w2 + r3[t] * w3
            for a in range(taps - taps % 4, taps):
                run = plane[shifts[a]:shifts[a] + span]
                for o in range(f):
                    out, w = acc[o], weights[a, ch, o]
                    for t in range(span):
                        out[t] += run[t] * w
        # out to the rows, one filter at a time: contiguous reads, writes F apart
        for i in range(oh):
            rows = z[(b * oh + i) * ow:(b * oh + i + 1) * ow]
            for o in range(f):
                sums, column, add = acc[o, i * wp:i * wp + ow], rows[:, o], bias[o]
                if relu:
                    for j in range(ow):
                        column[j] = max(sums[j] + add, zero)
                else:
                    for j in range(ow):
                        column[j] = sums[j] + add


@njit(cache=CACHE, error_model="numpy", nogil=True, fastmath={"reassoc", "contract", "nsz"})
def conv_planes_kernel_grad(planes, spread, shifts, wp, oh, ow, grad_kernel, grad_bias):
    """``grad_kernel[p, q, c, f] += sum_n,i,j x[n, i + p dh, j + q dw, c] * dz[n, i, j, f]``,
    with ``dz`` given as ``spread`` (N, F, OH * WP): each image's gradient planes laid
    out like the input's runs, zero at the dropped positions (the caller spreads it);
    and, unless ``grad_bias`` is empty, ``grad_bias[f] += sum_n,i,j dz[n, i, j, f]``.

    Each sum is a dot product of an input run with a gradient plane, four taps
    and two filters per pass over the runs (eight sums from six loads);
    ``reassoc`` lets numba split each sum into vector lanes (the order of the
    additions changes). The bias sums run along the planes too, where a sum over
    the rows (N * OH * OW, F) would have an inner loop only F long (LeNet-5's
    first layer: 6).
    """
    n, c, _ = planes.shape
    kh, kw, _, f = grad_kernel.shape
    taps, span = kh * kw, (oh - 1) * wp + ow
    grads = grad_kernel.reshape(taps, c, f)
    zero = planes.dtype.type(0)
    for b in range(n):
        dzt = spread[b]
        if grad_bias.size:
            for o in range(f):
                g, total = dzt[o], zero
                for t in range(span):
                    total += g[t]
                grad_bias[o] += total
        for ch in range(c):
            plane = planes[b, ch]
            for a in range(0, taps - 3, 4):
                r0 = plane[shifts[a]:shifts[a] + span]
                r1 = plane[shifts[a + 1]:shifts[a + 1] + span]
                r2 = plane[shifts[a + 2]:shifts[a + 2] + span]
                r3 = plane[shifts[a + 3]:shifts[a + 3] + span]
                for o in range(0, f - 1, 2):  # two filters per pass over the four runs
                    g, h = dzt[o], dzt[o + 1]
                    s0, s1, s2, s3, u0, u1, u2, u3 = zero, zero, zero, zero, zero, zero, zero, zero
                    for t in range(span):
                        x0, x1, x2, x3, gt, ht = r0[t], r1[t], r2[t], r3[t], g[t], h[t]
                        s0 += x0 * gt
                        s1 += x1 * gt
                        s2 += x2 * gt
                        s3 += x3 * gt
                        u0 += x0 * ht
                        u1 += x1 * ht
                        u2 += x2 * ht
                        u3 += x3 * ht
                    grads[a, ch, o] += s0
                    grads[a + 1, ch, o] += s1
                    grads[a + 2, ch, o] += s2
                    grads[a + 3, ch, o] += s3
                    grads[a, ch, o + 1] += u0
                    grads[a + 1, ch, o + 1] += u1
                    grads[a + 2, ch, o + 1] += u2
                    grads[a + 3, ch, o + 1] += u3
                for o in range(f - f % 2, f):
                    g, s0, s1, s2, s3 = dzt[o], zero, zero, zero, zero
                    for t in range(span):
                        s0 += r0[t] * g[t]
                        s1 += r1[t] * g[t]
                        s2 += r2[t] * g[t]
                        s3 += r3[t] * g[t]
                    grads[a, ch, o] += s0
                    grads[a + 1, ch, o] += s1
                    grads[a + 2, ch, o] += s2
                    grads[a + 3, ch, o] += s3
            for a in range(taps - taps % 4, taps):
                run = plane[shifts[a]:shifts[a] + span]
                for o in range(f):
                    g, total = dzt[o], zero
                    for t in range(span):
                        total += run[t] * g[t]
                    grads[a, ch, o] += total


@njit(**_opts)
def conv_planes_input_grad(spread, kernel, shifts, wp, oh, ow, grad_planes):
    """``grad_planes`` (N, C, HP * WP), zeroed by the caller, += the input gradient:
    each tap adds ``kernel[p, q, c, :] . dz`` back onto the run it read, four
    filters per pass over the run (``dz`` spread as for :func:`conv_planes_kernel_grad`)."""
    n, c, _ = grad_planes.shape
    kh, kw, _, f = kernel.shape
    taps, span = kh * kw, (oh - 1) * wp + ow
    weights = kernel.reshape(taps, c, f)
    for b in range(n):
        dzt = spread[b]
        for ch in range(c):
            plane = grad_planes[b, ch]
            for a in range(taps):
                run, w = plane[shifts[a]:shifts[a] + span], weights[a, ch]
                for o in range(0, f - 3, 4):
                    g0, g1, g2, g3 = dzt[o], dzt[o + 1], dzt[o + 2], dzt[o + 3]
                    w0, w1, w2, w3 = w[o], w[o + 1], w[o + 2], w[o + 3]
                    for t in range(span):
                        run[t] += g0[t] * w0 + g1[t] * w1 + g2[t] * w2 + g3[t] * w3
                for o in range(f - f % 4, f):
                    g, tap = dzt[o], w[o]
                    for t in range(span):
                        run[t] += g[t] * tap


# Winograd's minimal filtering F(2x2, 3x3) (Lavin and Gray, 2016), for stride-1 3x3
# convolutions with many channels. The output is cut into 2x2 tiles; each reads a
# 4x4 patch d of the input. With B, G and A the fixed matrices below, a tile's output
# for filter f is
#
#     Y = A^T [ sum over c of (G g_cf G^T) * (B^T d_c B) ] A       (* element-wise, 4x4)
#
# so the 36 multiplications per tile, channel and filter of the direct sum become
# 16, and for each of the 16 positions of the 4x4 the sum over channels is one
# matrix product (tiles x C) @ (C x F), handed to BLAS. The transforms only add and
# subtract (and halve, for G), so float32 results stay within a few units in the
# last place of the direct sum's.
#
#     B^T = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]]
#     G   = [[1, 0, 0], [1/2, 1/2, 1/2], [1/2, -1/2, 1/2], [0, 0, 1]]
#     A^T = [[1, 1, 1, 0], [0, 1, -1, -1]]


# Each transform's innermost loop runs over channels (or filters), contiguous in
# memory, and does the whole tile's arithmetic for one of them; numba compiles such a
# loop in under a second. (Split into a dozen short loops that each write one row,
# the transforms ran 1.3 to 2.5 times faster, but each kernel took 1.4 to 3 s to
# compile, which a demo's first run would pay: benchmarks/README.md.)


@njit(**_opts)
def winograd_input(xp, th, tw, v):
    """``v`` (N * TH * TW, 16, C) = B^T d B for every 4x4 patch ``d`` that starts at an
    even row and column of the padded input ``xp`` (N, >= 2 TH + 2, >= 2 TW + 2, C).

    Each tile's 16 rows of channels are written side by side, one contiguous block
    per tile (16 blocks far apart would share cache sets and evict one another).
    """
    n, hp, wp, c = xp.shape
    pixels = xp.reshape(n * hp * wp, c)  # rows of channels
    for b in range(n):
        for ty in range(th):
            for tx in range(tw):
                out = v[(b * th + ty) * tw + tx]
                r0 = (b * hp + 2 * ty) * wp + 2 * tx
                r1, r2, r3 = r0 + wp, r0 + 2 * wp, r0 + 3 * wp
                for ch in range(c):
                    # B^T d: four rows of four
                    a0 = pixels[r0, ch] - pixels[r2, ch]
                    a1 = pixels[r0 + 1, ch] - pixels[r2 + 1, ch]
                    a2 = pixels[r0 + 2, ch] - pixels[r2 + 2, ch]
                    a3 = pixels[r0 + 3, ch] - pixels[r2 + 3, ch]
                    b0 = pixels[r1, ch] + pixels[r2, ch]
                    b1 = pixels[r1 + 1, ch] + pixels[r2 + 1, ch]
                    b2 = pixels[r1 + 2, ch] + pixels[r2 + 2, ch]
                    b3 = pixels[r1 + 3, ch] + pixels[r2 + 3, ch]
                    e0 = pixels[r2, ch] - pixels[r1, ch]
                    e1 = pixels[r2 + 1, ch] - pixels[r1 + 1, ch]
                    e2 = pixels[r2 + 2, ch] - pixels[r1 + 2, ch]
                    e3 = pixels[r2 + 3, ch] - pixels[r1 + 3, ch]
                    f0 = pixels[r1, ch] - pixels[r3, ch]
                    f1 = pixels[r1 + 1, ch] - pixels[r3 + 1, ch]
                    f2 = pixels[r1 + 2, ch] - pixels[r3 + 2, ch]
                    f3 = pixels[r1 + 3, ch] - pixels[r3 + 3, ch]
                    # (B^T d) B
                    out[0, ch], out[1, ch], out[2, ch], out[3, ch] = a0 - a2, a1 + a2, a2 - a1, a1 - a3
                    out[4, ch], out[5, ch], out[6, ch], out[7, ch] = b0 - b2, b1 + b2, b2 - b1, b1 - b3
                    out[8, ch], out[9, ch], out[10, ch], out[11, ch] = e0 - e2, e1 + e2, e2 - e1, e1 - e3
                    out[12, ch], out[13, ch], out[14, ch], out[15, ch] = f0 - f2, f1 + f2, f2 - f1, f1 - f3


@njit(**_opts)
def winograd_output(m, th, tw, bias, relu, y):
    """The 2x2 outputs A^T M A of every tile of ``m`` (N * TH * TW, 16, F) into ``y``
    (N, 2 TH, 2 TW, F), tile (ty, tx) at rows 2 ty, 2 ty + 1 and columns 2 tx,
    2 tx + 1; plus ``bias``, then ``max(0, .)`` if ``relu``."""
    n, _, _, f = y.shape
    zero = y.dtype.type(0)
    for b in range(n):
        for ty in range(th):
            upper, lower = y[b, 2 * ty], y[b, 2 * ty + 1]
            for tx in range(tw):
                mt = m[(b * th + ty) * tw + tx]
                y00, y01, y10, y11 = upper[2 * tx], upper[2 * tx + 1], lower[2 * tx], lower[2 * tx + 1]
                for k in range(f):
                    # the two rows of A^T M ...
                    s0 = mt[0, k] + mt[4, k] + mt[8, k]
                    s1 = mt[1, k] + mt[5, k] + mt[9, k]
                    s2 = mt[2, k] + mt[6, k] + mt[10, k]
                    s3 = mt[3, k] + mt[7, k] + mt[11, k]
                    r0 = mt[4, k] - mt[8, k] - mt[12, k]
                    r1 = mt[5, k] - mt[9, k] - mt[13, k]
                    r2 = mt[6, k] - mt[10, k] - mt[14, k]
                    r3 = mt[7, k] - mt[11, k] - mt[15, k]
                    # ... times A
                    v00 = s0 + s1 + s2 + bias[k]
                    v01 = s1 - s2 - s3 + bias[k]
                    v10 = r0 + r1 + r2 + bias[k]
                    v11 = r1 - r2 - r3 + bias[k]
                    if relu:
                        v00, v01, v10, v11 = max(v00, zero), max(v01, zero), max(v10, zero), max(v11, zero)
                    y00[k], y01[k], y10[k], y11[k] = v00, v01, v10, v11


# The gradients by the same transforms. The forward's Y = A^T (U * V) A is linear in
# U = G g G^T and in V = B^T d B. With W = A dY A^T for each tile (A = [[1, 0],
# [1, 1], [1, -1], [0, -1]]):
#
#   dL/dU = sum over tiles of V * W       (for each position one product (C x tiles) @ (tiles x F)),
#   dL/dg = G^T (dL/dU) G,
#   dL/dV = U * W, summed over filters    (for each position one product (tiles x F) @ (F x C)),
#   dL/dd = B (dL/dV) B^T, added into the 4x4 patch the tile read (patches overlap by 2).


@njit(**_opts)
def winograd_output_grad(dy, th, tw, wt):
    """``wt`` (N * TH * TW, 16, F) = A d A^T for the 2x2 block ``d`` of every tile of the
    output gradient ``dy`` (N, OH, OW, F); blocks reaching past its edge read zeros."""
    n, oh, ow, f = dy.shape
    zeros = np.zeros(f, dtype=dy.dtype)
    for b in range(n):
        for ty in range(th):
            i = 2 * ty
            for tx in range(tw):
                j = 2 * tx
                down, right = i + 1 < oh, j + 1 < ow
                d00 = dy[b, i, j]
                d01 = dy[b, i, j + 1] if right else zeros
                d10 = dy[b, i + 1, j] if down else zeros
                d11 = dy[b, i + 1, j + 1] if down and right else zeros
                out = wt[(b * th + ty) * tw + tx]
                for k in range(f):
                    # the rows of A d: (d0., d0. + d1., d0. - d1., -d1.), each times A^T:
                    # (e0, e0 + e1, e0 - e1, -e1)
                    p00, p01, p10, p11 = d00[k], d01[k], d10[k], d11[k]
                    s0, s1, t0, t1 = p00 + p10, p01 + p11, p00 - p10, p01 - p11
                    out[0, k], out[1, k], out[2, k], out[3, k] = p00, p00 + p01, p00 - p01, -p01
                    out[4, k], out[5, k], out[6, k], out[7, k] = s0, s0 + s1, s0 - s1, -s1
                    out[8, k], out[9, k], out[10, k], out[11, k] = t0, t0 + t1, t0 - t1, -t1
                    out[12, k], out[13, k], out[14, k], out[15, k] = -p10, -p10 - p11, -p10 + p11, p11


@njit(**_opts)
def winograd_input_grad(g, th, tw, dxp):
    """Add B G B^T, for each tile's G = ``g[t]`` (16, C), into the 4x4 patch of ``dxp``
    (N, >= 2 TH + 2, >= 2 TW + 2, C) that the tile read in :func:`winograd_input`.
    B = [[1, 0, 0, 0], [0, 1, -1, 1], [-1, 1, 1, 0], [0, 0, 0, -1]]."""
    n, hp, wp, c = dxp.shape
    pixels = dxp.reshape(n * hp * wp, c)  # rows of channels
    for b in range(n):
        for ty in range(th):
            for tx in range(tw):
                gt = g[(b * th + ty) * tw + tx]
                r0 = (b * hp + 2 * ty) * wp + 2 * tx
                r1, r2, r3 = r0 + wp, r0 + 2 * wp, r0 + 3 * wp
                for ch in range(c):
                    # B G: four rows of four
                    a0, a1, a2, a3 = gt[0, ch], gt[1, ch], gt[2, ch], gt[3, ch]
                    b0 = gt[4, ch] - gt[8, ch] + gt[12, ch]
                    b1 = gt[5, ch] - gt[9, ch] + gt[13, ch]
                    b2 = gt[6, ch] - gt[10, ch] + gt[14, ch]
                    b3 = gt[7, ch] - gt[11, ch] + gt[15, ch]
                    e0 = gt[4, ch] + gt[8, ch] - gt[0, ch]
                    e1 = gt[5, ch] + gt[9, ch] - gt[1, ch]
                    e2 = gt[6, ch] + gt[10, ch] - gt[2, ch]
                    e3 = gt[7, ch] + gt[11, ch] - gt[3, ch]
                    f0, f1, f2, f3 = -gt[12, ch], -gt[13, ch], -gt[14, ch], -gt[15, ch]
                    # (B G) B^T, row by row, into the patch
                    pixels[r0, ch] += a0
                    pixels[r0 + 1, ch] += a1 - a2 + a3
                    pixels[r0 + 2, ch] += a1 + a2 - a0
                    pixels[r0 + 3, ch] -= a3
                    pixels[r1, ch] += b0
                    pixels[r1 + 1, ch] += b1 - b2 + b3
                    pixels[r1 + 2, ch] += b1 + b2 - b0
                    pixels[r1 + 3, ch] -= b3
                    pixels[r2, ch] += e0
                    pixels[r2 + 1, ch] += e1 - e2 + e3
                    pixels[r2 + 2, ch] += e1 + e2 - e0
                    pixels[r2 + 3, ch] -= e3
                    pixels[r3, ch] += f0
                    pixels[r3 + 1, ch] += f1 - f2 + f3
                    pixels[r3 + 2, ch] += f1 + f2 - f0
                    pixels[r3 + 3, ch] -= f3


recover_from_bad_cache_files(globals())
