-- Feed entries that come from no journal row: an app instance's output (instance.output), written
-- straight to the feed by the runtime node so that app logs never go through the event journal.
-- They have no source; the UNIQUE (source_ordering, source_index) key still guards the journal's.
ALTER TABLE feed_entry ALTER COLUMN source_ordering DROP NOT NULL;
ALTER TABLE feed_entry ALTER COLUMN source_index DROP NOT NULL;
