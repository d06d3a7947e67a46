-- The web pages: a publisher's stems by last publish, paged in SQL (the
-- index covers the GROUP BY), and the provenance of each package version
-- read from the audit log by FMRI.
CREATE INDEX package_by_publisher_stem_published ON package(publisher, in_catalog, stem, published);
CREATE INDEX audit_log_by_package ON audit_log(package) WHERE package IS NOT NULL;
-- The feed: the latest update-log entries, newest first.
CREATE INDEX update_log_by_time ON update_log_entry(op_time);
