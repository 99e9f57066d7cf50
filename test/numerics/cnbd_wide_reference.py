#!/usr/bin/env python3
"""High-precision reference for the regularity models' expected purchases
where the purchases to come are many and widely spread: the count of events
in the horizon has a standard deviation (or, for a shape below 1, a tail's
scale) of at least 40 k events, so that src/cnbd.c integrates over it
(Gregory's end correction and Gauss-Legendre panels, the setting
clv.expectation_quadrature) instead of summing every term.

The values come from cnbd_reference.py's route (a sum over the purchases to
come, each with the negative binomial's tail), at 30 digits; the cases are
few because that route walks every count, up to about 10^6 of them here.
They cover k = 1, 2, 5 and 12, both models, new and repeat customers, r down
to 1e-9, a and b down to 1e-6, a within 5e-4 of 1, a + b large and horizons
up to 2,500 times alpha + T.  The table is in test/pgtap/regularity_wide.sql.

  cnbd_wide_reference.py          check the table (skips without mpmath)
  cnbd_wide_reference.py --sql    print the table's rows
"""
import os
import sys

import cnbd_reference
import reference_table

TABLE = os.path.join(os.path.dirname(__file__), '..', 'pgtap', 'regularity_wide.sql')

# (kind, m0, k, r, alpha, a, b, x, t_x, T, t), as in cnbd_reference.py
CASES = (
    ('expected', 1, 1, 1.0, 1.0, 0.793, 2.426, 0, 0, 0.01, 1000),
    ('expected', 0, 1, 0.243, 4.414, 0.793, 2.426, 0, 0, 0.01, 3000),
    ('expected', 0, 1, 0.243, 4.414, 0.793, 2.426, 1, 20, 39, 100000),
    ('expected', 1, 1, 40.0, 100.0, 0.05, 40.0, 100, 300, 310, 20000),
    ('expected', 1, 1, 1000.0, 10.0, 1000.0, 1000.0, 10, 20, 39, 2000),
    ('expected', 0, 1, 0.001, 1.0, 1e-06, 1.0, 0, 0, 0.01, 2000),
    ('expected', 1, 2, 0.5, 10.0, 0.5, 3.0, 0, 0, 1, 3650),
    ('expected', 0, 2, 3.0, 5.0, 1.0005, 0.9995, 2, 3, 10, 20000),
    ('expected', 1, 2, 0.5, 10.0, 1e-06, 1.0, 3, 20, 30, 5000),
    ('expected', 1, 5, 3.0, 1.0, 2.0, 5.0, 1, 1, 1, 5000),
    ('expected', 0, 5, 0.8, 20.0, 1.0005, 0.9995, 6, 30, 52, 20000),
    ('expected', 1, 12, 30.0, 1000.0, 200.0, 300.0, 50, 300, 310, 70000),
    ('new', 1, 2, 0.243, 4.414, 0.793, 2.426, 0, 0, 0, 5000),
    # r tiny (c + top cancels unless grouped) and a + y tiny (the weights' first ratio)
    ('new', 1, 1, 1e-06, 1.0, 0.793, 2.426, 0, 0, 0, 1000),
    ('new', 0, 2, 1e-09, 1.0, 0.793, 2.426, 0, 0, 0, 1000),
    ('expected', 0, 1, 0.5, 1.0, 1e-06, 1e-06, 0, 0, 0.01, 2000),
    ('expected', 0, 2, 1e-06, 1.0, 1e-06, 1e-06, 0, 0, 0.01, 1000),
)


def grid():
    return iter(CASES)


if __name__ == '__main__':
    sys.exit(reference_table.main('cnbd_wide_reference', TABLE, 30, grid, cnbd_reference.reference))
