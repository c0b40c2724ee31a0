"""JSON -> table rows: match stats (one typed transform for every body), skill, film events,
metadata, aliases, legacy imports; and the stages that feed the store's transform."""
