"""DuckDB storage: one file per player, file-locked writers, SQL migrations and aggregates."""
