-- Switchboard change feed, outbox mode (any PostgreSQL, no server setting).
--
-- Creates, in the current schema:
--   * switchboard_outbox: one row per change of a tracked table, written in the
--     changing transaction, so a change exists if and only if it committed;
--   * switchboard_outbox_capture(): the trigger function writing those rows;
--   * switchboard_outbox_track(table): installs the trigger on a table.
--
-- Track a table:    SELECT switchboard_outbox_track('public.market_prices');
-- Stop tracking:    DROP TRIGGER switchboard_outbox ON public.market_prices;
--
-- Switchboard reads the outbox in id order (woken by NOTIFY switchboard_outbox,
-- polling as a fallback), publishes each row to its room and deletes the row
-- only once the publication is in room history. See docs/integrations.md.
--
-- Ids are in commit order. The trigger is a constraint trigger deferred to
-- commit time, and it takes a transaction advisory lock before taking the next
-- id: the lock is held from there until the commit ends, so a transaction that
-- commits later always gets higher ids, and the reader never sees id 11 before
-- id 10 is visible. That serializes the commits of transactions that change
-- tracked tables (only their last moments, as NOTIFY itself does). A session
-- that runs SET CONSTRAINTS ALL IMMEDIATE moves the capture (and the lock)
-- to the statement, which is still correct but holds the lock longer.
--
-- Running this file again is safe (CREATE ... IF NOT EXISTS / OR REPLACE).

CREATE SEQUENCE IF NOT EXISTS switchboard_outbox_id_seq;

CREATE TABLE IF NOT EXISTS switchboard_outbox (
  id          bigint      PRIMARY KEY,
  schema_name text        NOT NULL,
  table_name  text        NOT NULL,
  op          text        NOT NULL CHECK (op IN ('insert', 'update', 'delete')),
  new_row     jsonb,
  old_row     jsonb,
  created_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE OR REPLACE FUNCTION switchboard_outbox_capture() RETURNS trigger
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
BEGIN
  -- Commit order (see above): the lock comes before nextval and is released at commit.
  PERFORM pg_advisory_xact_lock(hashtext('switchboard'), hashtext('switchboard_outbox.order'));
  INSERT INTO switchboard_outbox (id, schema_name, table_name, op, new_row, old_row)
  VALUES (nextval('switchboard_outbox_id_seq'), TG_TABLE_SCHEMA, TG_TABLE_NAME, lower(TG_OP),
          CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END,
          CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END);
  -- One wake-up per transaction (identical notifications are folded); the row itself
  -- travels in the table, so its size is not bound by NOTIFY's 8000 bytes.
  PERFORM pg_notify('switchboard_outbox', '');
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION switchboard_outbox_track(target regclass) RETURNS void
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
BEGIN
  EXECUTE format('DROP TRIGGER IF EXISTS switchboard_outbox ON %s', target);
  EXECUTE format('CREATE CONSTRAINT TRIGGER switchboard_outbox AFTER INSERT OR UPDATE OR DELETE ON %s '
                 'DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION switchboard_outbox_capture()', target);
END
$$;
