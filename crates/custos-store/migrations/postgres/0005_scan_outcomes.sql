-- Scans that end in failure keep their reason; a scan found running by the next one (its
-- process died) is `interrupted`.
ALTER TABLE scans ADD COLUMN error TEXT;
ALTER TABLE scans DROP CONSTRAINT scans_status_check;
ALTER TABLE scans ADD CONSTRAINT scans_status_check CHECK (status IN ('running', 'complete',
    'partial', 'abandoned', 'failed', 'interrupted'));
