-- expect: unqualified-operator 4
-- The escaped quote must not end the E-string early.
SELECT E'it\'s = fine \\',
       'x' || 'y'  -- <- planted
