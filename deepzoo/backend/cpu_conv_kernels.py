"""numba kernels for convolution and pooling on channels-last images.

Same meaning as the NumPy versions in :mod:`deepzoo.backend.conv_ops` (read those
first). Each kernel walks the output positions once, with the innermost loop
over channels, which are contiguous in memory.

The kernels are single-threaded on purpose: NumPy's BLAS already runs the
matrix products on every core, and its worker threads keep spinning for a while
after each product. A ``prange`` loop right after one competes with them for
the cores and runs several times slower than a plain loop
(``benchmarks/kernel_notes.py``).
"""

from numba import njit

_opts = {"cache": True, "error_model": "numpy"}


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
def im2col_one_channel(xp, kh, kw, sh, sw, dh, dw, oh, ow, cols):
    """:func:`im2col` for a single-channel image ``xp`` of shape (N, H, W): a grey
    picture's row of taps is then contiguous, and no channel loop of length one is
    left in the innermost position."""
    n = xp.shape[0]
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                row = (b * oh + i) * ow + j
                for p in range(kh):
                    ih = i * sh + p * dh
                    for q in range(kw):
                        cols[row, p * kw + q] = xp[b, ih, j * sw + q * dw]


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
def max_pool(x, ph, pw, sh, sw, top, left, y, which):
    """``y`` = window maxima; ``which`` = index ``p * pw + q`` of the winning tap."""
    n, h, w, c = x.shape
    oh, ow = y.shape[1], y.shape[2]
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                first = True
                for p in range(ph):
                    ih = i * sh - top + p
                    if ih < 0 or ih >= h:
                        continue
                    for q in range(pw):
                        iw = j * sw - left + q
                        if iw < 0 or iw >= w:
                            continue
                        tap = p * pw + q
                        if first:
                            for ch in range(c):
                                y[b, i, j, ch] = x[b, ih, iw, ch]
                                which[b, i, j, ch] = tap
                            first = False
                        else:
                            for ch in range(c):
                                v = x[b, ih, iw, ch]
                                better = v > y[b, i, j, ch]
                                y[b, i, j, ch] = v if better else y[b, i, j, ch]
                                which[b, i, j, ch] = tap if better else which[b, i, j, ch]


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
                for p in range(ph):
                    ih = i * sh - top + p
                    if ih < 0 or ih >= h:
                        continue
                    for q in range(pw):
                        iw = j * sw - left + q
                        if iw < 0 or iw >= w:
                            continue
                        tap = p * pw + q
                        if tiled:
                            for ch in range(c):
                                dx[b, ih, iw, ch] = dy[b, i, j, ch] if which[b, i, j, ch] == tap \
                                    else dy[b, i, j, ch] * 0
                        else:
                            for ch in range(c):
                                if which[b, i, j, ch] == tap:
                                    dx[b, ih, iw, ch] += dy[b, i, j, ch]


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
