-- expect: unqualified-operator 4
-- An allow names one rule; it does not silence another on the same line.
-- lint: allow unqualified-function (pg_catalog.now is what we want)
SELECT now() = pg_catalog.now()  -- <- planted
