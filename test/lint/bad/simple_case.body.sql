-- expect: implicit-operator 2
SELECT CASE period  -- <- planted
            WHEN 'quarter' THEN 3
            WHEN 'year' THEN 12
            ELSE 1
       END
