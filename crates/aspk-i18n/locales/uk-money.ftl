# Shifts, cash rules, refunds and confirmations (Ukrainian).
