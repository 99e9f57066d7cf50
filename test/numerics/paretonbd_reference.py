#!/usr/bin/env python3
"""High-precision reference for the Pareto/NBD scores.

The table of test/pgtap/paretonbd_extremes.sql holds, over a grid of
parameters (alpha and beta ordinary, one of them 1e-6 or 1e6, both tiny or
huge; s below, at, just above and above 1) and histories (none, ordinary, a
day old, a frequent buyer of ten years), P(alive) and the expected purchases
in the next 0.01, 39 and 3,650 days, and a few hard cases found in review
(alpha and beta 1e9 apart with a history of minutes, where 1 - z must not be
rounded; t_x = T there), computed here with mpmath at 50 digits from Fader &
Hardie's "Deriving the Pareto/NBD model and related expressions":

    A0      = 2F1(a, b; a+1; z(t_x)) / (hi + t_x)^a - 2F1(a, b; a+1; z(T)) / (hi + T)^a
    alive   = 1 / (1 + s/(r+s+x) (alpha + T)^(r+x) (beta + T)^s A0)
    E[Y(t)] = (r+x)(beta+T) / ((alpha+T)(s-1)) [1 - ((beta+T)/(beta+T+t))^(s-1)] alive
              (at s = 1 its limit, with log((beta+T+t)/(beta+T)))

with a = r+s+x, z(t) = (hi - lo)/(hi + t) and (hi, lo, b) = (alpha, beta, s+1)
when alpha >= beta, else (beta, alpha, r+x): mpmath's own 2F1, not clv's
series, and 50 digits for the difference of the two terms.  (An earlier
version integrated the death term by mpmath's quadrature; on steep
integrands it was off by up to 1.4e-11.)

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


# (r, alpha, s, beta, x, t_x, T) where review found the series' 1 - z rounded
# (alpha and beta 1e9 apart, a history of minutes) or a history with t_x = T
# summed for nothing
HARD_CASES = ((0.05356567223449184, 565219.80147645, 17.593576866792674, 0.0005462862864558457, 100,
               0.0034695732626857895, 0.0034717509540560364),
              (0.9900331215984537, 133533.03705862295, 49.17143670775461, 0.0011535342578460656, 100,
               0.002828561827047506, 0.0029017648061616616),
              (4.027349063695584, 2.2804215356783444, 0.004614423114862124, 637246.3499449608, 10000,
               0.0012510395828319702, 0.007557464952506503),
              (50.0, 1e6, 100.0, 1e-6, 10000, 0.0005, 0.001),
              (0.3864368112528503, 1e6, 0.9999999, 1e-6, 2, 0.02577929981065949, 0.02577929981065949))


def grid():
    for alpha, beta in ALPHA_BETA:
        for s in (0.6, 1.0, 1.0000000001, 2.5):
            for x, t_x, T in HISTORIES:
                yield 'alive', 0.55, alpha, s, beta, x, t_x, T, 0
                for t in (0.01, 39.0, 3650.0):
                    yield 'expected', 0.55, alpha, s, beta, x, t_x, T, t
    for r, alpha, s, beta, x, t_x, T in HARD_CASES:
        yield 'alive', r, alpha, s, beta, x, t_x, T, 0
        yield 'expected', r, alpha, s, beta, x, t_x, T, 0.01


@functools.lru_cache(maxsize=None)
def alive(mp, r, alpha, s, beta, x, t_x, T):
    a = r + s + x
    hi, lo, b = (alpha, beta, s + 1) if alpha >= beta else (beta, alpha, r + x)
    a0 = (mp.hyp2f1(a, b, a + 1, (hi - lo) / (hi + t_x)) / (hi + t_x) ** a
          - mp.hyp2f1(a, b, a + 1, (hi - lo) / (hi + T)) / (hi + T) ** a)
    return 1 / (1 + s / a * (alpha + T) ** (r + x) * (beta + T) ** s * a0)


def reference(mp, kind, r, alpha, s, beta, x, t_x, T, t):
    r, alpha, s, beta, t_x, T, t = (mp.mpf(v) for v in (r, alpha, s, beta, t_x, T, t))
    p = alive(mp, r, alpha, s, beta, x, t_x, T)
    if kind == 'alive':
        return p
    ratio = mp.log((beta + T + t) / (beta + T))
    factor = ratio if s == 1 else -mp.expm1(-(s - 1) * ratio) / (s - 1)
    return (r + x) * (beta + T) / (alpha + T) * factor * p


if __name__ == '__main__':
    sys.exit(reference_table.main('paretonbd_reference', TABLE, 50, grid, reference))
