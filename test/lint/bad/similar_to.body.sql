-- expect: implicit-operator 4
SELECT t.name
  FROM clv.texts t
 WHERE t.name NOT SIMILAR TO 'clv_%'  -- <- planted
