#!/usr/bin/env python3
"""High-precision reference for BG/NBD and MBG/NBD expected purchases.

The table of test/pgtap/expected_purchases_extremes.sql holds, for a grid of
extreme cases (frequent buyers, b near 0 so that a + b + x - 1 <= 0, a at and
near 1, alpha + T far below the horizon), the expected purchases in the next t

    E = P(alive) c/(a-1) [1 - w^(r+x) 2F1(r+x, b+x+s; c; 1-w)],
    c = a+b+x-1+s, w = (alpha+T)/(alpha+T+t), s = 1 for MBG/NBD, else 0

computed here with mpmath at 60 digits (its own 2F1, with analytic
continuation for c <= 0; at a = 1, where the form is 0/0, the value at
a = 1 + 1e-40, the expression being analytic in a).  pgTAP compares clv's
scores with the table on every run; this script checks that the table is
what the reference gives, where mpmath is installed.

  expected_purchases_reference.py          check the table (skips without mpmath)
  expected_purchases_reference.py --sql    print the table's rows
"""
import os
import sys

import reference_table

TABLE = os.path.join(os.path.dirname(__file__), '..', 'pgtap', 'expected_purchases_extremes.sql')


def grid():
    for kind in ('bgnbd', 'mbgnbd'):
        for r, alpha in ((0.243, 4.414), (2.5, 30.0), (0.5, 1e-4)):
            for a in (0.793, 0.9999, 1.0, 1.001, 5.0):
                for b in (2.426, 1e-3, 1e-6):
                    for x, t_x, T in ((0, 0, 38.86), (2, 30.43, 38.86), (1000, 3000, 3650),
                                      (5000, 10900, 11000), (1, 0.01, 0.01)):
                        for t in (39.0, 3650.0):
                            yield kind, r, alpha, a, b, x, t_x, T, t
    # where one of clv's two series fails and the other must be taken: r far
    # above a + b for a one-time buyer (the transformed series alternates and
    # cancels), a in the thousands (it climbs), r tiny against a + b
    yield 'bgnbd', 100.0, 1.0, 0.8, 2.5, 0, 0, 30.0, 100.0
    yield 'mbgnbd', 100.0, 1.0, 0.8, 2.5, 0, 0, 30.0, 1000.0
    yield 'bgnbd', 40.0, 50.0, 0.8, 2.5, 0, 0, 50.0, 365.0
    yield 'bgnbd', 0.5, 1.0, 100000.0, 1.0, 0, 0, 10.0, 1000.0
    yield 'mbgnbd', 0.5, 1.0, 1000.0, 1e-6, 0, 0, 10.0, 10000.0
    yield 'bgnbd', 1e-6, 1.0, 1000.0, 1000.0, 0, 0, 10.0, 10.0
    yield 'bgnbd', 1.43e-6, 1.0, 0.0136, 754.0, 0, 0, 10.0, 10.0
    # a frequent buyer whose 2F1 passes double range (kept scaled)
    yield 'mbgnbd', 0.25, 5.0, 0.8, 2.5, 200, 9.5, 10.0, 365.0
    yield 'bgnbd', 0.243, 4.414, 0.793, 2.426, 200, 9.5, 10.0, 365.0


def reference(mp, kind, r, alpha, a, b, x, t_x, T, t):
    shift = 1 if kind == 'mbgnbd' else 0
    r, alpha, a, b, x, t_x, T, t = (mp.mpf(v) for v in (r, alpha, a, b, x, t_x, T, t))
    if x == 0 and not shift:
        alive = mp.mpf(1)
    else:
        alive = 1 / (1 + a / (b + x - 1 + shift) * ((alpha + T) / (alpha + t_x)) ** (r + x))
    if a == 1:
        a = 1 + mp.mpf('1e-40')
    c = a + b + x - 1 + shift
    w = (alpha + T) / (alpha + T + t)
    return alive * c / (a - 1) * (1 - w ** (r + x) * mp.hyp2f1(r + x, b + x + shift, c, 1 - w))


if __name__ == '__main__':
    sys.exit(reference_table.main('expected_purchases_reference', TABLE, 60, grid, reference))
