"""What the reference scripts share: a pgTAP file holds a table of rows
('kind', number, ..., reference value), one per case of a grid, and the
script either prints the rows (--sql) or checks that the table is the grid,
case for case, and its values what mpmath gives to 1e-18 relative.  Without
mpmath the check is skipped (exit 0): the pgTAP file still compares clv with
its table on every run.
"""
import re
import sys

ROW = re.compile(r"^\s*\('(\w+)', (-?[0-9][^)]*)\)", re.M)   # ('kind', a number, ...)


def main(name, table, digits, grid, reference, quoted=False):
    """grid(): the cases, each (kind, number, ...); reference(mp, *case): an
    mpf; quoted: the table holds the values as text (beyond numeric's range)."""
    try:
        import mpmath as mp
    except ImportError:
        print(f'{name}: skipped, mpmath is not installed (python3-mpmath)')
        return 0
    mp.mp.dps = digits
    if sys.argv[1:] == ['--sql']:
        value = "'%s'" if quoted else "%s"
        print(',\n'.join(("    ('%s', %s, " + value + ")")
                         % (case[0], ', '.join(repr(v) for v in case[1:]),
                            mp.nstr(reference(mp, *case), 20, min_fixed=-1, max_fixed=-1))
                         for case in grid()))
        return 0
    found = ROW.findall(open(table).read())
    expected = list(grid())
    if len(found) != len(expected):
        print(f'{name}: the table has {len(found)} rows, the grid {len(expected)}')
        return 1
    worst = 0
    for (kind, fields), case in zip(found, expected):
        values = [v.strip() for v in fields.split(',')]
        if kind != case[0] or [float(v) for v in values[:-1]] != [float(v) for v in case[1:]]:
            print(f'{name}: row ({kind}, {fields}) is not the grid case {case}')
            return 1
        ref = reference(mp, *case)
        value = mp.mpf(values[-1].strip("'"))
        worst = max(worst, abs(value - ref) / abs(ref) if ref != 0 else abs(value))
    print(f'{name}: {len(found)} rows equal the {digits}-digit reference to {mp.nstr(worst, 3)} relative')
    return 0 if worst < 1e-18 else 1
