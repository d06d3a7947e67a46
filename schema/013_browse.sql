-- The web pages. A publisher's stems with the last publish of each, kept by
-- triggers through every path that adds, lists, unlists or removes a
-- package version (publish, refresh, import, remove), so a page of stems in
-- name or publish order reads an index of stems, not every version.
CREATE TABLE stem_summary (
  publisher      TEXT NOT NULL,
  stem           TEXT NOT NULL,
  last_published INTEGER NOT NULL,
  -- the id of the version published last: ties of whole-second timestamps go by commit order
  last_id        INTEGER NOT NULL,
  PRIMARY KEY (publisher, stem)
) WITHOUT ROWID;
CREATE INDEX stem_summary_by_published ON stem_summary(publisher, last_published, last_id);

INSERT INTO stem_summary (publisher, stem, last_published, last_id)
  SELECT publisher, stem, published, id FROM (
    SELECT publisher, stem, published, id, row_number() OVER (PARTITION BY publisher, stem ORDER BY published DESC, id DESC) AS n
    FROM package WHERE in_catalog = 1)
  WHERE n = 1;

CREATE TRIGGER stem_summary_insert AFTER INSERT ON package WHEN NEW.in_catalog = 1 BEGIN
  INSERT INTO stem_summary (publisher, stem, last_published, last_id) VALUES (NEW.publisher, NEW.stem, NEW.published, NEW.id)
    ON CONFLICT (publisher, stem) DO UPDATE SET last_published = excluded.last_published, last_id = excluded.last_id
    WHERE (excluded.last_published, excluded.last_id) > (stem_summary.last_published, stem_summary.last_id);
END;

-- Listing, unlisting or removing a version: the stem's row is worked out again from what is listed.
CREATE TRIGGER stem_summary_update AFTER UPDATE OF in_catalog, published ON package BEGIN
  DELETE FROM stem_summary WHERE publisher = OLD.publisher AND stem = OLD.stem;
  INSERT INTO stem_summary (publisher, stem, last_published, last_id)
    SELECT publisher, stem, published, id FROM package WHERE publisher = OLD.publisher AND stem = OLD.stem AND in_catalog = 1
    ORDER BY published DESC, id DESC LIMIT 1;
END;
CREATE TRIGGER stem_summary_delete AFTER DELETE ON package BEGIN
  DELETE FROM stem_summary WHERE publisher = OLD.publisher AND stem = OLD.stem;
  INSERT INTO stem_summary (publisher, stem, last_published, last_id)
    SELECT publisher, stem, published, id FROM package WHERE publisher = OLD.publisher AND stem = OLD.stem AND in_catalog = 1
    ORDER BY published DESC, id DESC LIMIT 1;
END;

-- A stem's listed versions without reading the rows: in_catalog comes after
-- the manifest in a row, so a row read goes through the manifest's overflow pages.
CREATE INDEX package_versions_of_stem ON package(publisher, stem, in_catalog, version, published);

-- The provenance of each package version, read from the audit log by FMRI.
CREATE INDEX audit_log_by_package ON audit_log(package) WHERE package IS NOT NULL;
-- The feed: the latest update-log entries, newest first.
CREATE INDEX update_log_by_time ON update_log_entry(op_time);
