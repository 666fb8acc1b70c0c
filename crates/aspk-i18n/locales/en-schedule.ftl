# The schedule and products in the settings (English).
