"""The lake: versioned Delta tables on a local folder or S3, and DuckDB SQL over them."""
