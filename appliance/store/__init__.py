"""DuckDB: the schema and its migrations, the single writer, and the queries."""
