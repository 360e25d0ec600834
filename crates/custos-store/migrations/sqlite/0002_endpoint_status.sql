-- The HTTP status of a failed endpoint, so that readers can tell "audit logging is off" (403)
-- from an outage without parsing messages.
ALTER TABLE scan_endpoints ADD COLUMN status INTEGER;
