# The box office: selling, the receipt, printing (Ukrainian).
