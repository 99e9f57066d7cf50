-- expect: lex-error 2
SELECT 'not closed  -- <- planted
