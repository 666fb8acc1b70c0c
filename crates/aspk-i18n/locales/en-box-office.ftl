# The box office: selling, the receipt, printing (English).
