-- expect: unqualified-function 4
-- lint: allow unqualified-function (this is two lines above: too far)

SELECT now()  -- <- planted
