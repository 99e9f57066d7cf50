-- expect: unqualified-operator 3
-- $1 is a parameter, not the start of a dollar quote.
SELECT $1 + $2  -- <- planted
