# Shifts, cash rules, refunds and confirmations (English).
