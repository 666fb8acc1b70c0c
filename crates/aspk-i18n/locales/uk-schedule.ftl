# The schedule and products in the settings (Ukrainian).
