#!/usr/bin/env python3
"""High-precision reference for the Pareto/NBD scores.

The table of test/pgtap/paretonbd_extremes.sql holds, over a grid of
parameters (alpha and beta ordinary, one of them 1e-6 or 1e6, both tiny or
huge, s below, at, just above and above 1) and histories (none, ordinary, a day old, a
frequent buyer of ten years), P(alive) and the expected purchases in the
next 39 and 3,650 days, computed here with mpmath at 30 digits from the
integral the likelihood's death term stands for (Fader & Hardie, "Deriving
the Pareto/NBD model and related expressions"), not from its 2F1 form:

    I       = integral from t_x to T of (alpha + tau)^-(r+x) (beta + tau)^-(s+1) dtau
    alive   = 1 / (1 + s (alpha + T)^(r+x) (beta + T)^s I)
    E[Y(t)] = (r+x)(beta+T) / ((alpha+T)(s-1)) [1 - ((beta+T)/(beta+T+t))^(s-1)] alive
              (at s = 1 its limit, with log((beta+T+t)/(beta+T)))

The integral is taken in w = log(min(alpha, beta) + tau), split into many
short pieces (the integrand of a frequent buyer falls like e^-5000w).

  paretonbd_reference.py          check the table (skips without mpmath)
  paretonbd_reference.py --sql    print the table's rows
"""
import functools
import os
import sys

import reference_table

TABLE = os.path.join(os.path.dirname(__file__), '..', 'pgtap', 'paretonbd_extremes.sql')

ALPHA_BETA = ((10.5, 12.0), (1e-6, 12.0), (10.0, 1e-6), (1e-6, 1e6), (1e6, 1e-6), (1e-6, 1e-6), (1e6, 1e6))
HISTORIES = ((0, 0, 38.0), (2, 30.0, 38.0), (1, 0.005, 0.01), (0, 0, 0.01), (100, 3000.0, 3650.0),
             (5000, 10900.0, 11000.0))


def grid():
    for alpha, beta in ALPHA_BETA:
        for s in (0.6, 1.0, 1.0000000001, 2.5):
            for x, t_x, T in HISTORIES:
                yield 'alive', 0.55, alpha, s, beta, x, t_x, T, 0
                for t in (39.0, 3650.0):
                    yield 'expected', 0.55, alpha, s, beta, x, t_x, T, t


@functools.lru_cache(maxsize=None)
def alive(mp, r, alpha, s, beta, x, t_x, T):
    m = min(alpha, beta)
    c = r + x

    def integrand(w):
        tau = mp.exp(w) - m
        return mp.exp(w) * (alpha + tau) ** (-c) * (beta + tau) ** (-(s + 1))
    w0, w1 = mp.log(m + t_x), mp.log(m + T)
    if w1 > w0:
        step = min(mp.mpf('0.25'), 1 / (c + s + 1))
        points = [w0]
        while points[-1] + step < w1:
            points.append(points[-1] + step)
            step *= mp.mpf('1.2') if step < mp.mpf('0.25') else 1
        points.append(w1)
        integral = mp.quad(integrand, points)
    else:
        integral = mp.mpf(0)
    return 1 / (1 + s * (alpha + T) ** c * (beta + T) ** s * integral)


def reference(mp, kind, r, alpha, s, beta, x, t_x, T, t):
    r, alpha, s, beta, t_x, T, t = (mp.mpf(v) for v in (r, alpha, s, beta, t_x, T, t))
    p = alive(mp, r, alpha, s, beta, x, t_x, T)
    if kind == 'alive':
        return p
    ratio = mp.log((beta + T + t) / (beta + T))
    factor = ratio if s == 1 else -mp.expm1(-(s - 1) * ratio) / (s - 1)
    return (r + x) * (beta + T) / (alpha + T) * factor * p


if __name__ == '__main__':
    sys.exit(reference_table.main('paretonbd_reference', TABLE, 30, grid, reference))
