-- Switchboard change feed: a trigger function that pg_notify()s every row change
-- as JSON: {"op":"insert|update|delete","schema":...,"table":...,"new":{row}|null,"old":{row}|null}.
--
-- Use it with:
--   CREATE TRIGGER my_table_switchboard AFTER INSERT OR UPDATE OR DELETE ON my_table
--     FOR EACH ROW EXECUTE FUNCTION switchboard_notify('my_channel', 'id,market_id');
--
-- Arguments:
--   1. the NOTIFY channel (required), the one Switchboard LISTENs on;
--   2. key columns, comma-separated (default 'id').
--
-- NOTIFY payloads must be shorter than 8000 bytes. When a change is larger, the
-- trigger sends only the key columns of "new" and "old" with "truncated": true,
-- and Switchboard reads the current row by those columns before delivering it.
-- List the columns your room mapping reads among the key columns too (e.g.
-- 'id,market_id' for the room "market:{market_id}") so oversized changes still
-- reach the right room. Notifications are sent when the transaction commits.
CREATE OR REPLACE FUNCTION switchboard_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  channel text := TG_ARGV[0];
  key_columns text[] := string_to_array(coalesce(TG_ARGV[1], 'id'), ',');
  new_row jsonb := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END;
  old_row jsonb := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END;
  new_key jsonb := '{}';
  old_key jsonb := '{}';
  key_column text;
  payload text;
BEGIN
  IF channel IS NULL THEN
    RAISE EXCEPTION 'switchboard_notify() needs the NOTIFY channel as its first argument';
  END IF;
  payload := jsonb_build_object('op', lower(TG_OP), 'schema', TG_TABLE_SCHEMA, 'table', TG_TABLE_NAME,
                                'new', new_row, 'old', old_row)::text;
  IF octet_length(payload) >= 8000 THEN
    FOREACH key_column IN ARRAY key_columns LOOP
      key_column := trim(key_column);
      IF new_row IS NOT NULL THEN new_key := new_key || jsonb_build_object(key_column, new_row -> key_column); END IF;
      IF old_row IS NOT NULL THEN old_key := old_key || jsonb_build_object(key_column, old_row -> key_column); END IF;
    END LOOP;
    payload := jsonb_build_object('op', lower(TG_OP), 'schema', TG_TABLE_SCHEMA, 'table', TG_TABLE_NAME, 'truncated', true,
                                  'new', CASE WHEN new_row IS NULL THEN NULL ELSE new_key END,
                                  'old', CASE WHEN old_row IS NULL THEN NULL ELSE old_key END)::text;
  END IF;
  PERFORM pg_notify(channel, payload);
  RETURN NULL;
END
$$;
