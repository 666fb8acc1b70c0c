# Shifts, cash rules, refunds and confirmations (English).
confirm-title = Confirm
confirm-no = No, go back (Esc)
confirm-keys = Enter confirms, Esc goes back without changes.
confirm-cancel-order = Cancel order { $number }?
confirm-cancel-ticket = Cancel ticket { $ticket }?
confirm-order-tickets = { $count ->
    [one] { $count } ticket becomes void
   *[other] { $count } tickets become void
}
confirm-refund-amount = Pay { $amount } back to the visitor
confirm-no-refund = No money paid back
confirm-reason = Reason: { $reason }
confirm-no-reason = No reason given
order-refund-needs-shift = To pay money back for a box-office sale, open your cash shift: a refund is recorded in the shift that makes it.
confirm-close-shift = Close the cash shift?
confirm-counted = Cash counted: { $amount }
confirm-difference = Difference (counted − expected): { $amount }
confirm-note = Note: { $note }
shift-x-report = Interim X report
shift-x-title = Interim shift report (X report)
shift-x-note = The shift is still open: this is an interim report and changes with every sale. The final Z report is made at the close and never changes after.
shift-net = Shift total (sales − refunds)
shift-refund-from-elsewhere = sold in another shift or online
order-pdf-a4 = Tickets as PDF (A4 sheet)
order-pdf-roll = Tickets as PDF (80 mm roll)
