-- expect: unqualified-operator 5
-- A CHECK constraint is bound when the table is created.
CREATE TABLE @extschema@.settings (
    id integer PRIMARY KEY,
    weight numeric(10,2) CHECK (weight > 0)  -- <- planted
);
