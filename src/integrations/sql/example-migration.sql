-- Example migration: broadcast changes of a market_prices table to the rooms
-- "market:{market_id}" (see docs/integrations.md for the Switchboard side).
BEGIN;

-- The trigger function, once per database (or schema on the search_path).
\ir switchboard-notify.sql

CREATE TABLE IF NOT EXISTS market_prices (
  id         bigserial PRIMARY KEY,
  market_id  text        NOT NULL,
  price      numeric     NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

DROP TRIGGER IF EXISTS market_prices_switchboard ON market_prices;
CREATE TRIGGER market_prices_switchboard
  AFTER INSERT OR UPDATE OR DELETE ON market_prices
  FOR EACH ROW EXECUTE FUNCTION switchboard_notify('market_changes', 'id,market_id');

COMMIT;
