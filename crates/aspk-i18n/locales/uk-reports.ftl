# Reports (Ukrainian).
