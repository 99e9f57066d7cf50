-- expect: implicit-operator 4
SELECT a.month, n.new_customers
  FROM clv.activity a
  LEFT JOIN clv.acquired n USING (month)  -- <- planted
