-- Lexer corner cases that must not produce findings.
SELECT $1 OPERATOR(pg_catalog.+) $2,                 -- $1 is a parameter, not a dollar quote
       'it''s a string with = and || inside',
       E'an E-string: \' = || still inside \\',
       U&'\0041 = || unicode',
       "quoted ""identifier"" with = in it",
       x'1F', b'101', .5, 1e-9, 1.5E+3, 0x1F, 1_000,
       $tag$ SELECT pg_catalog.now() $tag$,          /* dynamic SQL: checked, and clean */
       /* nested /* comment with - and + and f(x) */ still comment */ 1,
       ARRAY[1, -2][1:1],
       '{}'::text[],
       x::double precision,
       x::character varying(10),
       x::timestamp(3) with time zone,
       x::pg_catalog.numeric(10,2)[],
       -1 AS minus_one,
       pg_catalog.count(*)
  FROM pg_catalog.generate_series(1, 3) AS g(x)
