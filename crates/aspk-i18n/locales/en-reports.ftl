# Reports (English).
