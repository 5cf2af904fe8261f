"""The encrypted store: SQLCipher connection, migrations, page store and the SQL of each subject."""
