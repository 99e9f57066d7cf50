-- expect: unqualified-operator 4
-- Only a minus sign is folded into a numeric constant; "+1" calls the
-- prefix operator +.
SELECT -1, +1  -- <- planted
