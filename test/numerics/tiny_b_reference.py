#!/usr/bin/env python3
"""High-precision reference for P(alive) when b is tiny.

clv computed ln(a / (b + x - 1)) with b + x first, so that for a one-time
repeat buyer (x = 1; x = 0 in the modified models, where b + x) the sum
b + 1 - 1 kept b to only 1e-16 / b relative (8e-11 at b = 1e-6, 9e-5 at
b = 1e-12).  The table of test/pgtap/tiny_b.sql holds P(alive) for BG/NBD,
MBG/NBD, and BG/CNBD-k and MBG/CNBD-k at k = 1 (which are BG/NBD and
MBG/NBD), at b from 1e-6 to 1e-15, from the closed forms of Fader, Hardie &
Lee (2005) and Batislam, Denizel & Filiztekin (2007), computed here with
mpmath at 50 digits:

    BG/NBD   1 / (1 + a / (b + x - 1) ((alpha + T) / (alpha + t_x))^(r + x)), x > 0
    MBG/NBD  1 / (1 + a / (b + x)     ((alpha + T) / (alpha + t_x))^(r + x))

  tiny_b_reference.py          check the table (skips without mpmath)
  tiny_b_reference.py --sql    print the table's rows
"""
import os
import sys

import reference_table

TABLE = os.path.join(os.path.dirname(__file__), '..', 'pgtap', 'tiny_b.sql')

PARAMS = ((1.0, 1.0, 0.5), (0.243, 4.414, 0.793))   # r, alpha, a: round numbers, and CDNOW's
BS = (1e-6, 1e-9, 1e-12, 1e-15)
HISTORIES = {'bgnbd': ((1, 10, 100), (1, 0.5, 39), (2, 30, 39)),
             'mbgnbd': ((0, 0, 100), (0, 0, 39), (1, 10, 100))}


def grid():
    for kind in ('bgnbd', 'bgcnbd', 'mbgnbd', 'mbgcnbd'):
        for r, alpha, a in PARAMS:
            for b in BS:
                for x, t_x, T in HISTORIES[kind.replace('cnbd', 'nbd')]:
                    yield kind, r, alpha, a, b, x, t_x, T


def reference(mp, kind, r, alpha, a, b, x, t_x, T):
    r, alpha, a, b, x, t_x, T = (mp.mpf(v) for v in (r, alpha, a, b, x, t_x, T))
    modified = kind.startswith('mbg')
    odds = a / (b + x - (0 if modified else 1)) * ((alpha + T) / (alpha + t_x)) ** (r + x)
    return 1 / (1 + odds)


if __name__ == '__main__':
    sys.exit(reference_table.main('tiny_b_reference', TABLE, 50, grid, reference))
