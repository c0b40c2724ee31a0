"""JSON -> table rows, and the stages that feed the store's transform."""
