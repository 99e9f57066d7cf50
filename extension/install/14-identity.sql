------------------------------------------------------------------------------
-- Identity resolution (src/normalize.c, src/identity.c)
------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.clv_normalize_email(
    email text, drop_plus_tag boolean DEFAULT false, gmail_dots boolean DEFAULT false)
RETURNS text AS 'MODULE_PATHNAME', 'clv_normalize_email'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.clv_normalize_email(text, boolean, boolean) IS
'an e-mail address trimmed and lower-cased, optionally without a +tag and without Gmail''s ignored dots; NULL when it cannot be an address';

CREATE FUNCTION @extschema@.clv_normalize_phone(phone text, default_country_code text DEFAULT NULL)
RETURNS text AS 'MODULE_PATHNAME', 'clv_normalize_phone'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.clv_normalize_phone(text, text) IS
'a phone number as + country code and digits (national numbers take default_country_code, trunk 0 dropped); NULL unless 7 to 15 digits';

CREATE FUNCTION @extschema@.clv_link_identities(
    pairs text, max_records_per_identifier integer DEFAULT 20)
RETURNS TABLE (record_id bigint, profile_id bigint, profile_records bigint)
AS 'MODULE_PATHNAME', 'clv_link_identities'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.clv_link_identities(text, integer) IS
'runs pairs, a query returning (record_id, identifier), and links records sharing an identifier, transitively; profile_id is the smallest record id of the profile; identifiers on more than max_records_per_identifier records are not used';

CREATE FUNCTION @extschema@.clv_identity_glue(
    pairs text, max_records_per_identifier integer DEFAULT 20)
RETURNS TABLE (identifier text, records bigint)
AS 'MODULE_PATHNAME', 'clv_identity_glue'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.clv_identity_glue(text, integer) IS
'the identifiers that clv_link_identities leaves out because more than max_records_per_identifier records share them, with their record counts';
