"""What the tests share: the app helper (Pilot), store builders run with the real
mlflow client, real servers (mlflow, PostgreSQL, MariaDB, older MLflows), and the
search case tables. Defined once; test modules never import each other."""
